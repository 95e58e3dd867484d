"""Helpers shared by the services."""

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date

import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, NotFound, PermissionDenied
from shakyo_desk.domain.text import clean
from shakyo_desk.store.models import ChangeLog, Household
from shakyo_desk.store.store import Store

NO_RIGHT = "この操作を行う権限がありません。必要な場合は管理者に相談してください。"


def require(allowed: bool, message: str = NO_RIGHT) -> None:
    if not allowed:
        raise PermissionDenied(message)


OFFICE_ONLY = ("アカウントと社協の設定は、事務局の端末で変更してください。"
               "ほかの端末での変更は、同期のときにどの端末にも受け付けられません。")


def require_office(store: Store, conn=None) -> None:
    """Accounts, roles and settings are written at the office only: other devices refuse such
    changes from anywhere else (exchange/authors.py), so a laptop must not make them at all.
    A store from before sync (no device keys) is a single installation: its own office.
    `conn`: the caller's open transaction, if any."""
    from shakyo_desk.store import council_key
    from shakyo_desk.store.exchange.identity import is_office

    if conn is None:
        with store.read() as s:
            require(is_office(s.connection()), OFFICE_ONLY)
            council_key.require_signing(store, s.connection())
    else:
        require(is_office(conn), OFFICE_ONLY)
        council_key.require_signing(store, conn)


def required_text(value: str | None, label: str, max_len: int = 200) -> str:
    text = clean(value)
    if not text:
        raise InvalidInput(f"{label}を入力してください。")
    return optional_text(text, label, max_len)


def optional_text(value: str | None, label: str, max_len: int = 2000) -> str:
    text = clean(value)
    if len(text) > max_len:
        raise InvalidInput(f"{label}は{max_len}文字以内で入力してください。")
    return text


def parse_date(value: str | date | None, label: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{label}の日付「{value}」が正しくありません。YYYY-MM-DD の形で入力してください。") from None


def choice(value: str | None, allowed: list[str], label: str) -> str:
    if value not in allowed:
        raise InvalidInput(f"{label}は次のいずれかを選んでください：{'、'.join(allowed)}")
    return value


def choices(values, allowed: list[str], label: str) -> list[str]:
    result = []
    for value in values or []:
        result.append(choice(clean(value), allowed, label))
    return sorted(set(result), key=result.index)


def live_row(store: Store, model, row_id: str | None, message: str):
    """The row (detached, read-only) of a record that exists and is not deleted, or NotFound."""
    with store.read() as s:
        row = s.get(model, row_id) if row_id else None
        if row is None or row.deleted_at is not None:
            raise NotFound(message)
        return row


def household_record(store: Store, model, row_id: str | None, gone: str, denied: str = NO_RIGHT) -> dict:
    """A record that belongs to a household (``model.household_id``), as a dict with the
    household's ``district_id``: NotFound(``gone``) when missing or deleted, PermissionDenied
    (``denied``) when this account may not see that household."""
    from shakyo_desk.domain.roles import may_see_household

    with store.read() as s:
        row = s.execute(sa.select(model.__table__, Household.district_id)
                        .join(Household, Household.id == model.household_id)
                        .where(model.id == row_id)).mappings().one_or_none() if row_id else None
    if row is None or row["deleted_at"] is not None:
        raise NotFound(gone)
    require(may_see_household(store.actor.role, store.actor.district_ids, row["district_id"]), denied)
    return dict(row)


def log_view(store: Store, entity: str, entity_id: str) -> None:
    """Record that someone looked at personal data (audit only, no change)."""
    with store.write() as w:
        w.audit(f"{entity}.view", entity, entity_id)


def json_list_contains(column, value: str):
    """SQL: the JSON list in ``column`` has ``value`` as an element."""
    items = sa.func.json_each(column).table_valued("value")
    return sa.exists(sa.select(1).select_from(items).where(items.c.value == value))


def history_version(session, records: Mapping[str, Iterable[str]]) -> str:
    """The version of some records (an entity name to ids: a conference with its members and
    cases) as the change log knows it: per origin device and epoch, how many changes it holds
    and the newest sequence number, hashed. Every change, made here or imported from another
    device whatever its clock said, adds a change-log row, so any change alters the version
    (the newest HLC stamp would miss an imported edit stamped before our own last one)."""
    wanted = [sa.and_(ChangeLog.entity == entity, ChangeLog.entity_id.in_(sorted(set(ids))))
              for entity, ids in records.items() if ids]
    if not wanted:
        return ""
    rows = session.execute(
        sa.select(ChangeLog.origin_device, ChangeLog.epoch, sa.func.count(), sa.func.max(ChangeLog.seq))
        .where(sa.or_(*wanted)).group_by(ChangeLog.origin_device, ChangeLog.epoch)
        .order_by(ChangeLog.origin_device, ChangeLog.epoch)).all()
    return hashlib.sha256(json.dumps([list(r) for r in rows]).encode()).hexdigest()[:20]
