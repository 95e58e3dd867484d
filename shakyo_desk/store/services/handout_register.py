"""配布資料の台帳 (handout register): every printed or exported copy of a conference handout —
its number, recipient, who made it and when — and, after the meeting, whether it came back
(回収) and when it was destroyed (廃棄).

Copy numbers are unique within a conference (``next_copy_number`` gives the next free one for
a reprint), so 「3番を回収」 always means one piece of paper. ``uncollected`` lists copies of
meetings already held that are neither collected nor destroyed; ``past_retention`` those not
destroyed more than the council's ``handout_retention_days`` after their meeting. Register
rows are synced, so the office sees copies made on a laptop. Coordinators and admins only.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.roles import manages_conferences
from shakyo_desk.domain.vocab import CONFERENCE_TYPES
from shakyo_desk.store.models import Conference, ConferenceMember, Council, HandoutCopy, Staff
from shakyo_desk.store.services._common import NO_RIGHT, parse_date, require, required_text
from shakyo_desk.store.store import Store
from shakyo_desk.domain import clock

GONE = "指定された会議が見つかりません。一覧を更新してください。"
COPY_GONE = "指定された配布資料の記録が見つかりません。一覧を更新してください。"
MAX_COPIES = 200


@dataclass(frozen=True)
class CopyInfo:
    id: str
    conference_id: str
    meeting_type: str
    type_label: str
    conference_title: str
    held_on: date
    copy_number: int
    recipient: str
    member_id: str | None
    made_by: str | None
    made_by_name: str
    made_at: datetime  # naive UTC
    collected_on: date | None
    destroyed_on: date | None

    @property
    def outstanding(self) -> bool:
        """Neither collected nor destroyed: the paper is still with someone."""
        return self.collected_on is None and self.destroyed_on is None


@dataclass(frozen=True)
class RegisterCounts:
    made: int
    collected: int
    destroyed: int
    outstanding: int  # neither collected nor destroyed


def _manage(store: Store) -> None:
    require(manages_conferences(store.actor.role), NO_RIGHT)


def _copy_values(item, conference_id: str, members: Mapping[str, str]) -> dict:
    if isinstance(item, Mapping):
        number, recipient, member_id = item.get("copy_number"), item.get("recipient"), item.get("member_id")
    else:
        number, recipient, member_id = (list(item) + [None, None])[:3]
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise InvalidInput(f"配布番号「{number}」が正しくありません。1以上の整数にしてください。")
    if member_id and members.get(member_id) != conference_id:
        raise InvalidInput("配布先の構成員が、この会議の構成員ではありません。会議の画面を開き直してください。")
    return {"conference_id": conference_id, "copy_number": number,
            "recipient": required_text(recipient, "配布先", 300), "member_id": member_id or None}


def record_copies(store: Store, conference_id: str, copies: Sequence, *, export_detail: dict | None = None) -> list[str]:
    """Register copies made now by the acting account; returns their ids in the given order.

    ``copies``: (copy_number, recipient, member_id or None) tuples or dicts with those keys.
    ``export_detail``: when given, the ``handout.export`` audit entry (file names, copy numbers,
    never personal data) is written in the same transaction, so a register and its export
    record are never apart."""
    _manage(store)
    if not copies:
        raise InvalidInput("登録する配布資料がありません。")
    if len(copies) > MAX_COPIES:
        raise InvalidInput(f"一度に登録できる配布資料は{MAX_COPIES}部までです。")
    with store.read() as s:
        conference = s.get(Conference, conference_id) if conference_id else None
        if conference is None or conference.deleted_at is not None:
            raise NotFound(GONE)
        member_ids = [c.get("member_id") if isinstance(c, Mapping) else (list(c) + [None, None])[2] for c in copies]
        members = dict(s.execute(sa.select(ConferenceMember.id, ConferenceMember.conference_id).where(
            ConferenceMember.id.in_([m for m in member_ids if m]), ConferenceMember.deleted_at.is_(None))).all())
    rows = [_copy_values(item, conference_id, members) for item in copies]
    numbers = [r["copy_number"] for r in rows]
    if len(set(numbers)) != len(numbers):
        raise InvalidInput("同じ配布番号が2回使われています。番号を1部ずつ変えてください。")
    at = clock.utcnow()
    with store.write() as w:
        w.require_alive(Conference, conference_id, GONE)
        used = set(w.session.execute(sa.select(HandoutCopy.copy_number).where(
            HandoutCopy.conference_id == conference_id, HandoutCopy.deleted_at.is_(None))).scalars())
        taken = sorted(used & set(numbers))
        if taken:
            raise InvalidInput(f"配布番号{'、'.join(map(str, taken))}はこの会議ですでに使われています。"
                               f"刷り直すときは{max(used) + 1}番から番号を付けてください。")
        ids = [w.insert(HandoutCopy, {**row, "made_by": store.actor.staff_id, "made_at": at}) for row in rows]
        if export_detail is not None:
            w.audit("handout.export", "conference", conference_id,
                    {**export_detail, "copies": sorted(numbers)})
    return ids


def next_copy_number(store: Store, conference_id: str) -> int:
    """The first copy number not yet used for this conference (1 when none were made)."""
    _manage(store)
    with store.read() as s:
        highest = s.execute(sa.select(sa.func.max(HandoutCopy.copy_number)).where(
            HandoutCopy.conference_id == conference_id, HandoutCopy.deleted_at.is_(None))).scalar()
    return (highest or 0) + 1


def _mark(store: Store, copy_ids: Iterable[str], field: str, on: date | str | None, label: str,
          today: date | None) -> int:
    _manage(store)
    today = today or clock.today()
    day = parse_date(on, label) or today
    if day > today:
        raise InvalidInput(f"{label}が未来の日付になっています。今日までの日付を入力してください。")
    copy_ids = list(dict.fromkeys(copy_ids))
    changed = 0
    with store.write() as w:
        for copy_id in copy_ids:
            row = w.require_alive(HandoutCopy, copy_id, COPY_GONE)
            made = row["made_at"].date() if isinstance(row["made_at"], datetime) else row["made_at"]
            if day < made - timedelta(days=1):  # made_at is UTC: a day's leeway for the time zone
                raise InvalidInput(f"{label}が、資料を作った日より前になっています（配布番号{row['copy_number']}）。")
            changed += bool(w.update(HandoutCopy, copy_id, {field: day}))
    return changed


def mark_collected(store: Store, copy_ids: Iterable[str], on: date | str | None = None, *,
                   today: date | None = None) -> int:
    """Tick copies as collected back (回収) on ``on`` (default today); returns how many changed."""
    return _mark(store, copy_ids, "collected_on", on, "回収した日", today)


def mark_destroyed(store: Store, copy_ids: Iterable[str], on: date | str | None = None, *,
                   today: date | None = None) -> int:
    """Record copies as destroyed (廃棄, e.g. shredded) on ``on`` (default today)."""
    return _mark(store, copy_ids, "destroyed_on", on, "廃棄した日", today)


def _query():
    return (sa.select(HandoutCopy, Conference.meeting_type, Conference.title, Conference.held_on, Staff.display_name)
            .join(Conference, Conference.id == HandoutCopy.conference_id)
            .outerjoin(Staff, Staff.id == HandoutCopy.made_by)
            .where(HandoutCopy.deleted_at.is_(None), Conference.deleted_at.is_(None)))


def _info(row) -> CopyInfo:
    c, meeting_type, title, held_on, by = row
    return CopyInfo(c.id, c.conference_id, meeting_type, CONFERENCE_TYPES.get(meeting_type, meeting_type), title,
                    held_on, c.copy_number, c.recipient, c.member_id, c.made_by, by or "", c.made_at, c.collected_on,
                    c.destroyed_on)


def _list(store: Store, q) -> list[CopyInfo]:
    _manage(store)
    with store.read() as s:
        return [_info(r) for r in s.execute(q)]


def copies_of(store: Store, conference_id: str) -> list[CopyInfo]:
    """Every copy of one conference, by copy number."""
    return _list(store, _query().where(HandoutCopy.conference_id == conference_id).order_by(HandoutCopy.copy_number))


def uncollected(store: Store, *, today: date | None = None, conference_id: str | None = None) -> list[CopyInfo]:
    """Copies of meetings held on or before ``today`` that are neither collected nor destroyed,
    oldest meeting first."""
    q = _query().where(HandoutCopy.collected_on.is_(None), HandoutCopy.destroyed_on.is_(None),
                       Conference.held_on <= (today or clock.today()))
    if conference_id:
        q = q.where(HandoutCopy.conference_id == conference_id)
    return _list(store, q.order_by(Conference.held_on, HandoutCopy.conference_id, HandoutCopy.copy_number))


def retention_days(store: Store) -> int:
    with store.read() as s:
        return s.execute(sa.select(Council.handout_retention_days).where(Council.deleted_at.is_(None))).scalar() or 0


def past_retention(store: Store, today: date | None = None) -> list[CopyInfo]:
    """Copies not destroyed although their meeting was more than the council's retention
    period (``handout_retention_days``) ago, oldest meeting first."""
    cutoff = (today or clock.today()) - timedelta(days=retention_days(store))
    q = _query().where(HandoutCopy.destroyed_on.is_(None), Conference.held_on < cutoff)
    return _list(store, q.order_by(Conference.held_on, HandoutCopy.conference_id, HandoutCopy.copy_number))


def counts(store: Store, conference_id: str | None = None) -> RegisterCounts:
    """How many copies were made, collected, destroyed and are still out (one conference or all)."""
    _manage(store)
    collected = HandoutCopy.collected_on.is_not(None)
    destroyed = HandoutCopy.destroyed_on.is_not(None)
    q = (sa.select(sa.func.count(), sa.func.count().filter(collected), sa.func.count().filter(destroyed),
                   sa.func.count().filter(sa.not_(collected), sa.not_(destroyed)))
         .select_from(HandoutCopy).join(Conference, Conference.id == HandoutCopy.conference_id)
         .where(HandoutCopy.deleted_at.is_(None), Conference.deleted_at.is_(None)))
    if conference_id:
        q = q.where(HandoutCopy.conference_id == conference_id)
    with store.read() as s:
        made, n_collected, n_destroyed, out = s.execute(q).one()
    return RegisterCounts(made, n_collected, n_destroyed, out)
