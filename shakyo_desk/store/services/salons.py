"""Salons (サロン/居場所): register, regulars, sessions with attendance and remarks."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.roles import Role, manages_registers
from shakyo_desk.domain.text import clean
from shakyo_desk.domain.vocab import SALON_ORGANISERS
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.store.models import (
    Attendance, District, Person, Remark, Salon, SalonRegular, SalonSession,
)
from shakyo_desk.store.services._common import NO_RIGHT, choice, optional_text, parse_date, require, required_text
from shakyo_desk.store.services.households import household_values_for_new, insert_household
from shakyo_desk.store.store import Store
from shakyo_desk.domain import clock

SALON_GONE = "指定されたサロンが見つかりません。一覧を更新してください。"


@dataclass(frozen=True)
class SalonInfo:
    id: str
    name: str
    district_id: str | None
    district: str
    venue: str
    organiser: str
    schedule: str
    fee_yen: int | None
    transport: str
    notes: str
    active: bool
    regular_count: int


@dataclass(frozen=True)
class Regular:
    person_id: str
    name: str
    kana: str
    household_id: str


@dataclass(frozen=True)
class SessionInfo:
    id: str
    salon_id: str
    session_date: date
    activities: str
    helpers: str
    unnamed_count: int
    notes: str
    attendee_ids: tuple[str, ...]
    remarks: tuple[tuple[str, str, str | None], ...]  # (remark id, text, sheet id)

    @property
    def total(self) -> int:
        return len(self.attendee_ids) + self.unnamed_count


def _require_salon_staff(store: Store) -> None:
    require(store.actor.role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF), NO_RIGHT)


def _salon_values(fields: dict) -> dict:
    values = {}
    for key, value in fields.items():
        if key == "name":
            values[key] = required_text(value, "サロンの名前")
        elif key == "district_id":
            values[key] = value or None
        elif key == "organiser":
            values[key] = choice(value or "住民主体", SALON_ORGANISERS, "運営")
        elif key in ("venue", "schedule", "transport"):
            values[key] = optional_text(value, {"venue": "会場", "schedule": "開催日", "transport": "送迎"}[key], 200)
        elif key == "notes":
            values[key] = optional_text(value, "メモ", 4000)
        elif key == "fee_yen":
            if value in (None, ""):
                values[key] = None
            else:
                try:
                    values[key] = int(value)
                except (TypeError, ValueError):
                    raise InvalidInput("参加費は数字（円）で入力してください。") from None
                if not 0 <= values[key] <= 100_000:
                    raise InvalidInput("参加費は0〜100,000円の範囲で入力してください。")
        elif key == "active":
            values[key] = bool(value)
        else:
            raise InvalidInput(f"サロンには次の項目はありません：{key}")
    return values


def add_salon(store: Store, name: str, district_id: str | None = None, **fields) -> str:
    require(manages_registers(store.actor.role), NO_RIGHT)
    values = _salon_values({"name": name, "district_id": district_id, **fields})
    with store.write() as w:
        if district_id:
            w.require_alive(District, district_id, "指定された地区が見つかりません。地区を選び直してください。")
        return w.insert(Salon, values)


def update_salon(store: Store, salon_id: str, **fields) -> dict:
    require(manages_registers(store.actor.role), NO_RIGHT)
    values = _salon_values(fields)
    with store.write() as w:
        w.require_alive(Salon, salon_id, SALON_GONE)
        return w.update(Salon, salon_id, values)


def list_salons(store: Store, include_inactive: bool = False) -> list[SalonInfo]:
    _require_salon_staff(store)
    regulars = (sa.select(SalonRegular.salon_id, sa.func.count().label("n"))
                .where(SalonRegular.deleted_at.is_(None)).group_by(SalonRegular.salon_id).subquery())
    q = (sa.select(Salon, District.name, regulars.c.n).outerjoin(District, District.id == Salon.district_id)
         .outerjoin(regulars, regulars.c.salon_id == Salon.id).where(Salon.deleted_at.is_(None)))
    if not include_inactive:
        q = q.where(Salon.active.is_(True))
    with store.read() as s:
        return [SalonInfo(r.id, r.name, r.district_id, d or "", r.venue, r.organiser, r.schedule, r.fee_yen,
                          r.transport, r.notes, r.active, n or 0)
                for r, d, n in s.execute(q.order_by(District.sort_order, Salon.name))]


def regulars(store: Store, salon_id: str) -> list[Regular]:
    _require_salon_staff(store)
    with store.read() as s:
        rows = s.execute(
            sa.select(Person.id, Person.name, Person.kana, Person.household_id)
            .join(SalonRegular, SalonRegular.person_id == Person.id)
            .where(SalonRegular.salon_id == salon_id, SalonRegular.deleted_at.is_(None), Person.deleted_at.is_(None))
            .order_by(Person.kana, Person.name)
        ).all()
    return [Regular(*r) for r in rows]


def set_regulars(store: Store, salon_id: str, person_ids: list[str]) -> None:
    """Make exactly these persons the salon's regulars (adds and soft-removes)."""
    _require_salon_staff(store)
    wanted = list(dict.fromkeys(person_ids))
    with store.write() as w:
        w.require_alive(Salon, salon_id, SALON_GONE)
        current = dict(w.conn.execute(sa.select(SalonRegular.person_id, SalonRegular.id).where(
            SalonRegular.salon_id == salon_id, SalonRegular.deleted_at.is_(None))).all())
        for person_id in wanted:
            if person_id not in current:
                w.require_alive(Person, person_id, "選んだ方が見つかりません。")
                w.insert(SalonRegular, {"salon_id": salon_id, "person_id": person_id})
        for person_id, regular_id in current.items():
            if person_id not in wanted:
                w.delete(SalonRegular, regular_id)


def record_session(store: Store, salon_id: str, session_date: date | str, *, attendee_ids: list[str] = (),
                   unnamed_count: int = 0, activities: str = "", helpers: str = "", notes: str = "",
                   newcomers: list[dict] = (), remarks: list[str | dict] = (), today: date | None = None) -> str:
    """One salon session in one transaction: attendance, newcomers (registered as new households
    in the salon's district and made regulars), remarks. Returns the session id."""
    _require_salon_staff(store)
    today = today or clock.today()
    session_date = parse_date(session_date, "開催日")
    if session_date is None:
        raise InvalidInput("開催日を入力してください。")
    if session_date > today:
        raise InvalidInput("開催日が未来の日付になっています。開催した日を入力してください。")
    try:
        unnamed_count = int(unnamed_count or 0)
    except (TypeError, ValueError):
        raise InvalidInput("名前を記録しない参加者の人数は数字で入力してください。") from None
    if not 0 <= unnamed_count <= 500:
        raise InvalidInput("名前を記録しない参加者の人数は0〜500人にしてください。")
    texts = []
    for remark in remarks:
        item = remark if isinstance(remark, dict) else {"text": remark}
        if clean(item.get("text")):
            texts.append((optional_text(item["text"], "つぶやき", 2000), item.get("person_id")))
    salon = next((x for x in list_salons(store, include_inactive=True) if x.id == salon_id), None)
    if salon is None:
        raise NotFound(SALON_GONE)
    new_people = []  # each newcomer becomes a household of their own until someone links it
    for newcomer in newcomers:
        if not clean(newcomer.get("name")):
            continue
        if not salon.district_id:
            raise InvalidInput("このサロンには地区が設定されていないため、初めての方を登録できません。「サロンの編集」で地区を設定してください。")
        new_people.append(household_values_for_new(
            store, salon.district_id, newcomer["name"], newcomer.get("kana", ""),
            notes=f"サロン「{salon.name}」で{format_wareki(session_date)}に初参加"))
    with store.write() as w:
        w.require_alive(Salon, salon_id, SALON_GONE)
        new_ids = [insert_household(w, values, member)[1] for values, member in new_people]
        attendees = list(dict.fromkeys([*attendee_ids, *new_ids]))
        session_id = w.insert(SalonSession, {
            "salon_id": salon_id, "session_date": session_date, "unnamed_count": unnamed_count,
            "activities": optional_text(activities, "活動内容", 2000), "helpers": optional_text(helpers, "世話人・協力者", 1000),
            "notes": optional_text(notes, "メモ", 4000),
        })
        for person_id in attendees:
            w.insert(Attendance, {"session_id": session_id, "person_id": person_id})
        for person_id in new_ids:
            w.insert(SalonRegular, {"salon_id": salon_id, "person_id": person_id})
        for text, person_id in texts:
            w.insert(Remark, {"session_id": session_id, "person_id": person_id, "text": text})
    return session_id


def update_attendance(store: Store, session_id: str, attendee_ids: list[str], unnamed_count: int | None = None) -> None:
    """Correct a session's attendance: adds the missing, soft-removes the unticked."""
    _require_salon_staff(store)
    wanted = set(attendee_ids)
    with store.write() as w:
        w.require_alive(SalonSession, session_id, "指定された開催記録が見つかりません。一覧を更新してください。")
        current = dict(w.conn.execute(sa.select(Attendance.person_id, Attendance.id).where(
            Attendance.session_id == session_id, Attendance.deleted_at.is_(None))).all())
        for person_id in wanted - set(current):
            w.insert(Attendance, {"session_id": session_id, "person_id": person_id})
        for person_id in set(current) - wanted:
            w.delete(Attendance, current[person_id])
        if unnamed_count is not None:
            w.update(SalonSession, session_id, {"unnamed_count": int(unnamed_count)})


def get_session(store: Store, session_id: str) -> SessionInfo:
    _require_salon_staff(store)
    with store.read() as s:
        session = s.get(SalonSession, session_id)
        if session is None or session.deleted_at is not None:
            raise NotFound("指定された開催記録が見つかりません。一覧を更新してください。")
        attendees = s.execute(sa.select(Attendance.person_id).where(
            Attendance.session_id == session_id, Attendance.deleted_at.is_(None))).scalars().all()
        remarks = s.execute(sa.select(Remark.id, Remark.text, Remark.sheet_id).where(
            Remark.session_id == session_id, Remark.deleted_at.is_(None)).order_by(Remark.created_at)).all()
        return SessionInfo(session.id, session.salon_id, session.session_date, session.activities, session.helpers,
                           session.unnamed_count, session.notes, tuple(attendees), tuple(tuple(r) for r in remarks))


def list_sessions(store: Store, salon_id: str, limit: int = 50) -> list[SessionInfo]:
    _require_salon_staff(store)
    with store.read() as s:
        ids = s.execute(sa.select(SalonSession.id).where(
            SalonSession.salon_id == salon_id, SalonSession.deleted_at.is_(None))
            .order_by(SalonSession.session_date.desc()).limit(limit)).scalars().all()
    return [get_session(store, i) for i in ids]


def not_seen_lately(store: Store, salon_id: str, sessions: int = 3) -> list[tuple[Regular, date | None]]:
    """Regulars absent from each of the last ``sessions`` sessions ("最近お見かけしない方"),
    with the date they last came. Staff only: never shown to reporters, never a score."""
    require(store.actor.role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF), NO_RIGHT)
    with store.read() as s:
        recent = s.execute(sa.select(SalonSession.id).where(
            SalonSession.salon_id == salon_id, SalonSession.deleted_at.is_(None))
            .order_by(SalonSession.session_date.desc()).limit(sessions)).scalars().all()
        if len(recent) < sessions:
            return []
        came = set(s.execute(sa.select(Attendance.person_id).where(
            Attendance.session_id.in_(recent), Attendance.deleted_at.is_(None))).scalars())
        last_seen = dict(s.execute(
            sa.select(Attendance.person_id, sa.func.max(SalonSession.session_date))
            .join(SalonSession, SalonSession.id == Attendance.session_id)
            .where(SalonSession.salon_id == salon_id, Attendance.deleted_at.is_(None))
            .group_by(Attendance.person_id)).all())
    return [(r, last_seen.get(r.person_id)) for r in regulars(store, salon_id) if r.person_id not in came]


def attendance_counts(store: Store, date_from: date, date_to: date, salon_id: str | None = None) -> dict:
    """延べ (every presence, named + unnamed) and distinct named persons in a period."""
    _require_salon_staff(store)
    with store.read() as s:
        sessions = sa.select(SalonSession.id, SalonSession.unnamed_count).where(
            SalonSession.deleted_at.is_(None), SalonSession.session_date >= date_from,
            SalonSession.session_date <= date_to)
        if salon_id:
            sessions = sessions.where(SalonSession.salon_id == salon_id)
        rows = s.execute(sessions).all()
        ids = [r.id for r in rows]
        named = s.execute(sa.select(Attendance.person_id).where(
            Attendance.session_id.in_(ids), Attendance.deleted_at.is_(None))).scalars().all()
    return {"sessions": len(rows), "total_attendances": len(named) + sum(r.unnamed_count for r in rows),
            "named_attendances": len(named), "distinct_persons": len(set(named))}


