"""委嘱 (standing appointments, issue 18): a member appointed to a type of meeting for a period,
whose confidentiality pledge (守秘義務の誓約) is recorded once for that period instead of at
every meeting (MHLW's 支援会議 explanation: members are bound by 法第106条の6 for as long as
they sit, and after).

A conference member counts as acknowledged when an appointment matches: same name and
organisation (compared without width, kana/katakana or spacing differences, ``domain.text.fold``),
the meeting's type, the meeting day within [valid_from, valid_to], the pledge made on or before
that day, and the appointment not ended before it (``appointment_for``). Appointments name no
household: they are council-wide records, kept by coordinators and admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.roles import manages_conferences
from shakyo_desk.domain.text import clean, fold
from shakyo_desk.domain.vocab import CONFERENCE_TYPES
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.store.models import Appointment
from shakyo_desk.store.services._common import NO_RIGHT, optional_text, parse_date, require, required_text
from shakyo_desk.store.store import Store

GONE = "指定された委嘱の記録が見つかりません。一覧を更新してください。"
MAX_YEARS = 5


@dataclass(frozen=True)
class AppointmentInfo:
    id: str
    name: str
    organisation: str
    meeting_type: str
    type_label: str
    valid_from: date
    valid_to: date
    pledge_on: date
    ended_on: date | None
    note: str

    def covers(self, meeting_type: str, on: date) -> bool:
        """Does the pledge count for a meeting of this type on this day?"""
        return (meeting_type == self.meeting_type and self.valid_from <= on <= self.valid_to
                and self.pledge_on <= on and (self.ended_on is None or self.ended_on > on))

    @property
    def period_text(self) -> str:
        return f"{format_wareki(self.valid_from)}〜{format_wareki(self.valid_to)}"


def type_code(value: str | None) -> str:
    """A meeting type from its code or Japanese name (as conferences.type_code, which imports us)."""
    text = clean(value)
    for code, label in CONFERENCE_TYPES.items():
        if text.lower() == code or text == label:
            return code
    raise InvalidInput(f"会議の種類「{text}」は分かりません。次のいずれかを指定してください："
                       f"{'、'.join(f'{c}（{label}）' for c, label in CONFERENCE_TYPES.items())}")


def _manage(store: Store) -> None:
    require(manages_conferences(store.actor.role), NO_RIGHT)


def _info(a: Appointment) -> AppointmentInfo:
    return AppointmentInfo(a.id, a.name, a.organisation, a.meeting_type,
                           CONFERENCE_TYPES.get(a.meeting_type, a.meeting_type), a.valid_from, a.valid_to,
                           a.pledge_on, a.ended_on, a.note)


def add_appointment(store: Store, name: str, organisation: str, meeting_type: str, valid_from: date | str,
                    valid_to: date | str, pledge_on: date | str, *, note: str = "", today: date | None = None) -> str:
    """Record a standing appointment (委嘱) with its pledge; returns its id."""
    _manage(store)
    today = today or clock.today()
    start = parse_date(valid_from, "委嘱の開始日")
    end = parse_date(valid_to, "委嘱の終了日")
    pledge = parse_date(pledge_on, "守秘義務を誓約した日")
    if start is None or end is None:
        raise InvalidInput("委嘱の期間（開始日と終了日）を入力してください。")
    if pledge is None:
        raise InvalidInput("守秘義務を誓約した日を入力してください。誓約がまだなら、誓約を受けてから登録してください。")
    if end < start:
        raise InvalidInput("委嘱の終了日が開始日より前になっています。日付を確かめてください。")
    if (end - start).days > 366 * MAX_YEARS:
        raise InvalidInput(f"委嘱の期間は{MAX_YEARS}年以内にしてください。")
    if pledge > today:
        raise InvalidInput("守秘義務を誓約した日が未来の日付になっています。今日までの日付を入力してください。")
    if pledge > end:
        raise InvalidInput("守秘義務を誓約した日が委嘱の期間より後になっています。日付を確かめてください。")
    values = {"name": required_text(name, "委嘱する方の氏名", 100),
              "organisation": optional_text(organisation, "所属", 200),
              "meeting_type": type_code(meeting_type), "valid_from": start, "valid_to": end, "pledge_on": pledge,
              "note": optional_text(note, "メモ", 2000)}
    with store.read() as s:
        for other in _alive(s):
            if (fold(other.name) == fold(values["name"]) and fold(other.organisation) == fold(values["organisation"])
                    and other.meeting_type == values["meeting_type"] and other.ended_on is None
                    and other.valid_from <= end and start <= other.valid_to):
                raise InvalidInput(f"{values['name']}さんは、この期間に重なる{CONFERENCE_TYPES[values['meeting_type']]}の"
                                   f"委嘱（{format_wareki(other.valid_from)}〜{format_wareki(other.valid_to)}）がすでに"
                                   "登録されています。期間を確かめてください。")
    with store.write() as w:
        return w.insert(Appointment, values)


def end_appointment(store: Store, appointment_id: str, ended_on: date | str | None = None, *,
                    today: date | None = None) -> None:
    """The appointment ends early (resigned, moved): meetings from that day on ask again."""
    _manage(store)
    today = today or clock.today()
    on = parse_date(ended_on, "委嘱を終えた日") or today
    with store.read() as s:
        row = s.get(Appointment, appointment_id) if appointment_id else None
        if row is None or row.deleted_at is not None:
            raise NotFound(GONE)
        if row.ended_on is not None:
            raise InvalidInput("この委嘱はすでに終了しています。")
        if on < row.valid_from:
            raise InvalidInput("委嘱を終えた日が委嘱の開始日より前になっています。日付を確かめてください。")
    with store.write() as w:
        w.require_alive(Appointment, appointment_id, GONE)
        w.update(Appointment, appointment_id, {"ended_on": on})


def _alive(session: Session) -> list[Appointment]:
    return list(session.execute(sa.select(Appointment).where(Appointment.deleted_at.is_(None))
                                .order_by(Appointment.valid_from.desc(), Appointment.name)).scalars())


def list_appointments(store: Store, *, on: date | str | None = None, meeting_type: str | None = None
                      ) -> list[AppointmentInfo]:
    """Appointments, newest period first; ``on``: only those in force that day."""
    _manage(store)
    day = parse_date(on, "日付")
    with store.read() as s:
        rows = [_info(a) for a in _alive(s)]
    if meeting_type:
        code = type_code(meeting_type)
        rows = [a for a in rows if a.meeting_type == code]
    if day is not None:
        rows = [a for a in rows if a.valid_from <= day <= a.valid_to and (a.ended_on is None or a.ended_on > day)]
    return rows


def appointments_for(session: Session, meeting_type: str, on: date) -> dict[tuple[str, str], AppointmentInfo]:
    """Within a read, no rights checked: the appointments whose pledge counts for a meeting of
    this type on this day, by (folded name, folded organisation)."""
    found = {}
    for a in _alive(session):
        info = _info(a)
        if info.covers(meeting_type, on):
            found[(fold(a.name), fold(a.organisation))] = info
    return found


def appointment_for(appointed: dict[tuple[str, str], AppointmentInfo], name: str, organisation: str
                    ) -> AppointmentInfo | None:
    return appointed.get((fold(name), fold(organisation)))
