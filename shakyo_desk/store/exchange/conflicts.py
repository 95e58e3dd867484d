"""The 要確認 queue: fields where devices wrote different values without seeing each other.

Every competing value stays in the change log; the index table only says where to look.
Choosing a value is an ordinary edit whose version vector covers every branch."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.roles import manages_accounts, manages_registers, may_edit_household, sees_all_households
from shakyo_desk.store.exchange.apply import _CONVERTERS, entity_conflicts
from shakyo_desk.store.models import SYNCED_MODELS, Household, Roster, Staff, SyncConflict
from shakyo_desk.store.services._common import require, require_office
from shakyo_desk.store.store import Store

ENTITY_LABELS = {
    "council": "社協の設定", "district": "地区", "staff": "職員", "household": "世帯", "person": "世帯員",
    "agency": "関係機関", "concern_category": "困りごとの分類", "place": "地域の拠点", "contact": "訪問記録",
    "salon": "サロン", "salon_regular": "サロンの常連", "salon_session": "サロンの開催", "attendance": "出席",
    "remark": "つぶやき", "concern_sheet": "把握シート", "sheet_status_change": "シートの経過", "referral": "つなぎ",
}
FIELD_LABELS = {
    "deleted_at": "削除", "name": "名前", "kana": "ふりがな", "address": "住所", "phone": "電話番号",
    "notes": "メモ", "wishes": "本人の希望", "situation": "状況", "strengths": "強み・できていること",
    "watch_level": "見守りの程度", "watch_interval_days": "見守りの間隔（日）",
    "watch_interval_months": "見守りの間隔（月）", "district_id": "地区", "flags": "気になる点",
    "birth_date": "生年月日", "relation": "続柄", "urgency": "緊急度", "status": "状態",
    "seen_heard": "見たこと・聞いたこと", "next_action": "次にすること", "next_contact_date": "次回予定日",
    "outcome": "結果", "outcome_note": "結果のメモ", "follow_up_on": "確認予定日",
    "welfare_commissioner": "担当の民生委員", "housing_type": "住まい", "staff_main_id": "主担当",
    "staff_sub_id": "副担当", "services": "できること", "contact": "担当・連絡先",
}
KIND_LABELS = {"value": "値の食い違い", "text": "文章の食い違い", "delete": "削除と編集の食い違い"}


@dataclass(frozen=True)
class Choice:
    number: int  # what `conflicts resolve --choose N` takes
    value: object
    display: str
    authors: tuple[str, ...]
    devices: tuple[str, ...]
    at: str  # newest recorded_at among its authors (UTC ISO)


@dataclass(frozen=True)
class ConflictInfo:
    id: str
    entity: str
    entity_label: str
    entity_id: str
    field: str
    field_label: str
    kind: str
    household_id: str | None
    shown: object
    choices: tuple[Choice, ...]
    opened_at: str


def _display(field_name: str, kind: str, value) -> str:
    if kind == "delete":
        return "削除する" if value is not None else "残す（削除を取り消す）"
    if value is None or value == "" or value == []:
        return "（空欄）"
    if isinstance(value, list):
        return "、".join(map(str, value))
    return str(value)


_OFFICE_ONLY = {"staff", "council"}


def _visible(store: Store, s, row) -> bool:
    actor = store.actor
    if row.entity in _OFFICE_ONLY:  # accounts and settings: written by an admin (exchange/authors.py)
        return manages_accounts(actor.role)
    if row.household_id is None:
        return manages_registers(actor.role)
    district = s.execute(sa.select(Household.district_id).where(Household.id == row.household_id)).scalar()
    return may_edit_household(actor.role, actor.district_ids, district)


def list_conflicts(store: Store, household_id: str | None = None) -> list[ConflictInfo]:
    with store.read() as s:
        conn = s.connection()
        query = sa.select(SyncConflict.__table__).order_by(SyncConflict.opened_at, SyncConflict.id)
        if household_id:
            query = query.where(SyncConflict.household_id == household_id)
        staff = dict(s.execute(sa.select(Staff.id, Staff.display_name)).all())
        devices = _device_names(s)
        result = []
        for row in s.execute(query).all():
            if not _visible(store, s, row):
                continue
            result.append(_info(conn, row, staff, devices))
        return result


def _device_names(s) -> dict[str, str]:
    body = s.execute(sa.select(Roster.body).order_by(Roster.version.desc()).limit(1)).scalar()
    if body is None:
        return {}
    return {d["device_id"]: d["name"] for d in json.loads(body)["devices"]}


def _info(conn, row, staff: dict, devices: dict) -> ConflictInfo:
    merged = entity_conflicts(conn, row.entity, row.entity_id)
    conflict = next((c for c in merged.conflicts if c.field == row.field), None)
    choices: list[Choice] = []
    for cand in conflict.candidates if conflict else ():
        for i, existing in enumerate(choices):
            if json.dumps(existing.value, sort_keys=True) == json.dumps(cand.value, sort_keys=True):
                choices[i] = Choice(existing.number, existing.value, existing.display,
                                    existing.authors + (staff.get(cand.change.staff_id, "不明"),),
                                    existing.devices + (devices.get(cand.change.origin, "不明な端末"),),
                                    max(existing.at, cand.change.recorded_at or ""))
                break
        else:
            choices.append(Choice(len(choices) + 1, cand.value, _display(row.field, row.kind, cand.value),
                                  (staff.get(cand.change.staff_id, "不明"),),
                                  (devices.get(cand.change.origin, "不明な端末"),), cand.change.recorded_at or ""))
    return ConflictInfo(
        id=row.id, entity=row.entity, entity_label=ENTITY_LABELS.get(row.entity, row.entity), entity_id=row.entity_id,
        field=row.field, field_label=FIELD_LABELS.get(row.field, row.field), kind=row.kind,
        household_id=row.household_id, shown=merged.values.get(row.field), choices=tuple(choices),
        opened_at=row.opened_at.isoformat(timespec="seconds"))


def resolve_conflict(store: Store, conflict_id: str, choose: int) -> None:
    """Keep value number ``choose``: a new change that dominates every branch."""
    with store.write() as w:
        row = w.conn.execute(sa.select(SyncConflict.__table__).where(SyncConflict.id == conflict_id)).one_or_none()
        if row is None:
            raise NotFound(f"要確認「{conflict_id}」はありません（すでに解決されたかもしれません）。一覧を更新してください。")
        with_session = w.session
        require(_visible(store, with_session, row))
        if row.entity in _OFFICE_ONLY:
            require_office(store, w.conn)
        staff = dict(w.conn.execute(sa.select(Staff.id, Staff.display_name)).all())
        info = _info(w.conn, row, staff, {})
        if not 1 <= choose <= len(info.choices):
            raise InvalidInput(f"番号 {choose} は選べません。1〜{len(info.choices)} の番号を指定してください。")
        value = _CONVERTERS[row.entity][row.field](info.choices[choose - 1].value)
        w.update(SYNCED_MODELS[row.entity], row.entity_id, {row.field: value}, force=frozenset({row.field}))
        w.audit("conflict.resolve", row.entity, row.entity_id, {"field": row.field, "choice": choose})


def open_conflict_count(store: Store) -> int:
    """What this account may see and resolve (staff: their districts only)."""
    if not sees_all_households(store.actor.role):
        return len(list_conflicts(store))
    with store.read() as s:
        return s.execute(sa.select(sa.func.count()).select_from(SyncConflict)).scalar_one()
