"""Retention (issue 6): households closed longer than the council's retention period, listed
and purged by an admin.

A household is **closed** when it was deleted, or when it had concern sheets, every one of
them is 終結, and its 見守り level is なし (support cases count as sheets do: an open case keeps the
household, a closed one makes it a closed case). It is **past retention** when its last activity —
its latest contact, sheet (noticed on) or sheet status change, referral, salon attendance of a
member, conference that discussed it, support case status change, monitoring, meeting request (受付表) or confirmed 支え合いの関係, or the day it was deleted — lies more than
`retention_years` before today. (Edits of the household's own fields are not activity: an
imported list would otherwise restart every household's period.) A household that was never the subject of a sheet is a register entry (a
一人暮らし高齢者名簿 line), not a closed case, and is never proposed.

Purging writes a `purge` change for the household and for everything that hangs on it
(DESIGN §5): each row becomes an id-only tombstone, its earlier history is blanked here, and
the same happens on every device at the next sync. The audit entries name ids only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.roles import manages_accounts
from shakyo_desk.store.models import (
    Attendance, ConcernSheet, Conference, ConferenceCase, Consent, Contact, Council, District, Household, Person,
    Referral, Remark, SalonRegular, SalonSession, SheetStatusChange, SupportCase, CaseStatusChange, Monitoring,
    MeetingRequest, Supporter, SupportTie,
)
from shakyo_desk.store.exchange.scope import CASE_MODELS
from shakyo_desk.store.services._common import require, require_office
from shakyo_desk.store.store import Store
from shakyo_desk.domain import clock

CLOSED = "終結"
NO_WATCH = "なし"
ONLY_ADMIN = "保存期間を過ぎた記録の一覧と削除は、管理者だけが行えます。"


@dataclass(frozen=True)
class Expired:
    household_id: str
    code: str
    district: str
    last_activity: date
    deleted: bool
    records: int  # rows that a purge turns into tombstones, the household included
    # Whom a clerk is about to erase: the head (first member, a removed one when none is left),
    # the address, and the records a purge erases by kind (KINDS' words), the household first.
    head_name: str = ""
    head_kana: str = ""
    address: str = ""
    kinds: tuple[tuple[str, int], ...] = ()


# What each kind of record is called on screen, in the order it is listed.
KINDS = {
    Household: "世帯", Person: "世帯員", Contact: "訪問記録", ConcernSheet: "把握シート",
    SheetStatusChange: "シートの状況", Referral: "つなぎ", ConferenceCase: "会議での検討", Attendance: "サロンの参加",
    SalonRegular: "サロンの常連", Remark: "つぶやき", Consent: "同意", SupportCase: "支援ケース",
}


@dataclass(frozen=True)
class Purged:
    households: int
    records: int


def cutoff(today: date, years: int) -> date:
    """The last day of activity that is past retention (29 Feb falls back to 28 Feb)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def list_expired(store: Store, today: date | None = None) -> list[Expired]:
    require(manages_accounts(store.actor.role), ONLY_ADMIN)
    today = today or clock.today()
    with store.read() as s:
        conn = s.connection()
        return sorted(_expired(conn, today).values(), key=lambda e: (e.last_activity, e.code))


def purge_households(store: Store, household_ids: list[str], today: date | None = None) -> Purged:
    """Purge these households and what hangs on them, in one transaction. Each must still be
    past retention when the transaction runs (another screen or a bundle may have changed it)."""
    require(manages_accounts(store.actor.role), ONLY_ADMIN)
    require_office(store)  # other devices take an erasure only from the office, signed (exchange/authors.py)
    today = today or clock.today()
    wanted = list(dict.fromkeys(household_ids))
    if not wanted:
        raise InvalidInput("削除する世帯を選んでください。")
    records = 0
    with store.write() as w:
        expired = _expired(w.conn, today)
        missing = [h for h in wanted if h not in expired]
        if missing:
            raise InvalidInput(f"{len(missing)}世帯は保存期間を過ぎていないか、すでに削除されています。"
                               "一覧を読み込み直してから、もう一度選んでください。")
        for household_id in wanted:
            targets = _records_of(w.conn, [household_id])
            _unlink_supporters(w, targets)
            for model, ids in targets:
                for entity_id in sorted(ids):
                    w.purge(model, entity_id)
                    records += 1
            w.audit("retention.purge", "household", household_id, {"records": sum(len(i) for _, i in targets)})
    return Purged(len(wanted), records)


# ---- queries ---------------------------------------------------------------------------


def _retention_years(conn: Connection) -> int:
    return conn.execute(sa.select(Council.retention_years).where(Council.deleted_at.is_(None))).scalar() or 5


def _expired(conn: Connection, today: date) -> dict[str, Expired]:
    limit = cutoff(today, _retention_years(conn))
    h = Household.__table__
    candidates = {}
    open_sheets = set(conn.execute(sa.select(ConcernSheet.household_id).where(
        ConcernSheet.status != CLOSED, ConcernSheet.deleted_at.is_(None))).scalars())
    with_sheets = set(conn.execute(sa.select(ConcernSheet.household_id).where(
        ConcernSheet.deleted_at.is_(None)).distinct()).scalars())
    # Support cases (issue 18): an open case keeps a household; a closed one makes it a closed case.
    open_sheets |= set(conn.execute(sa.select(SupportCase.household_id).where(
        SupportCase.status != CLOSED, SupportCase.deleted_at.is_(None))).scalars())
    with_sheets |= set(conn.execute(sa.select(SupportCase.household_id).where(
        SupportCase.deleted_at.is_(None)).distinct()).scalars())
    purged = _purged_households(conn)
    for row in conn.execute(sa.select(h.c.id, h.c.code, h.c.district_id, h.c.watch_level, h.c.deleted_at,
                                      h.c.created_at, h.c.updated_at)):
        if row.id in purged:
            continue
        deleted = row.deleted_at is not None
        closed = deleted or (row.id in with_sheets and row.id not in open_sheets and row.watch_level == NO_WATCH)
        if closed:
            candidates[row.id] = (row, deleted, _day(row.deleted_at) if deleted else date.min)
    if not candidates:
        return {}
    last = {hid: own for hid, (_, _, own) in candidates.items()}

    def later(pairs) -> None:
        for hid, day in pairs:
            if hid in last and day is not None and _day(day) > last[hid]:
                last[hid] = _day(day)

    later(conn.execute(sa.select(Contact.household_id, sa.func.max(Contact.contact_date))
                       .group_by(Contact.household_id)).all())
    later(conn.execute(sa.select(ConcernSheet.household_id, sa.func.max(SheetStatusChange.changed_on))
                       .join(SheetStatusChange, SheetStatusChange.sheet_id == ConcernSheet.id)
                       .group_by(ConcernSheet.household_id)).all())
    later(conn.execute(sa.select(ConcernSheet.household_id, sa.func.max(ConcernSheet.noticed_on))
                       .group_by(ConcernSheet.household_id)).all())
    later(conn.execute(sa.select(Referral.household_id, sa.func.max(Referral.referred_on))
                       .group_by(Referral.household_id)).all())
    later(conn.execute(sa.select(Person.household_id, sa.func.max(SalonSession.session_date))
                       .join(Attendance, Attendance.person_id == Person.id)
                       .join(SalonSession, SalonSession.id == Attendance.session_id)
                       .group_by(Person.household_id)).all())
    later(conn.execute(sa.select(ConferenceCase.household_id, sa.func.max(Conference.held_on))
                       .join(Conference, Conference.id == ConferenceCase.conference_id)
                       .group_by(ConferenceCase.household_id)).all())
    later(conn.execute(sa.select(CaseStatusChange.household_id, sa.func.max(CaseStatusChange.changed_on))
                       .group_by(CaseStatusChange.household_id)).all())
    later(conn.execute(sa.select(Monitoring.household_id, sa.func.max(Monitoring.monitored_on))
                       .group_by(Monitoring.household_id)).all())
    later(conn.execute(sa.select(MeetingRequest.household_id, sa.func.max(MeetingRequest.requested_on))
                       .group_by(MeetingRequest.household_id)).all())
    later(conn.execute(sa.select(SupportTie.household_id, sa.func.max(SupportTie.confirmed_on))
                       .group_by(SupportTie.household_id)).all())  # a tie confirmed (0018)
    past = [hid for hid, day in last.items() if date.min < day <= limit]
    if not past:
        return {}
    districts = dict(conn.execute(sa.select(District.id, District.name)).all())
    kinds = {hid: _kinds(_records_of(conn, [hid])) for hid in past}
    heads = _heads(conn, past)
    addresses = dict(conn.execute(sa.select(Household.id, Household.address).where(Household.id.in_(past))).all())
    return {hid: Expired(hid, candidates[hid][0].code, districts.get(candidates[hid][0].district_id, ""),
                         last[hid], candidates[hid][1], sum(n for _, n in kinds[hid]),
                         *heads.get(hid, ("", "")), addresses.get(hid) or "", kinds[hid]) for hid in past}


def _kinds(records: list[tuple[type, set[str]]]) -> tuple[tuple[str, int], ...]:
    counts = {model: len(ids) for model, ids in records}
    named = [(label, counts[model]) for model, label in KINDS.items() if counts.get(model)]
    other = sum(n for model, n in counts.items() if model not in KINDS)
    return tuple(named + ([("その他の記録", other)] if other else []))


def _heads(conn: Connection, household_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Each household's head as its lists name them (the first member by order); a household
    whose members were all removed (or that was deleted with them) by its first removed one."""
    heads: dict[str, tuple[str, str]] = {}
    rows = conn.execute(sa.select(Person.household_id, Person.name, Person.kana)
                        .where(Person.household_id.in_(household_ids))
                        .order_by(Person.household_id, Person.deleted_at.is_not(None), Person.sort_order,
                                  Person.created_at, Person.id))
    for row in rows:
        heads.setdefault(row.household_id, (row.name, row.kana or ""))
    return heads


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _purged_households(conn: Connection) -> set[str]:
    from shakyo_desk.store.models import ChangeLog

    return set(conn.execute(sa.select(ChangeLog.entity_id).where(
        ChangeLog.entity == Household.__tablename__, ChangeLog.op == "purge")).scalars())


def is_closed(conn: Connection, household_id: str) -> bool:
    """This household is closed as `_expired` judges it (deleted or purged; or every sheet and case
    of it 終結 and its 見守り level なし). A register entry that never had a sheet is not."""
    return household_id in closed_households(conn, [household_id])


def closed_households(conn: Connection, household_ids: list[str]) -> set[str]:
    """Which of ``household_ids`` are closed (``is_closed``), in three queries for any number."""
    ids = sorted(set(household_ids))
    rows = {r.id: r for r in conn.execute(sa.select(Household.id, Household.deleted_at, Household.watch_level)
                                          .where(Household.id.in_(ids)))}
    statuses: dict[str, set[str]] = {}
    for model in (ConcernSheet, SupportCase):
        for household_id, status in conn.execute(sa.select(model.household_id, model.status).where(
                model.household_id.in_(ids), model.deleted_at.is_(None))):
            statuses.setdefault(household_id, set()).add(status)
    closed = set()
    for household_id in ids:
        row, seen = rows.get(household_id), statuses.get(household_id, set())
        if row is None or row.deleted_at is not None or (seen == {CLOSED} and row.watch_level == NO_WATCH):
            closed.add(household_id)
    return closed


def _unlink_supporters(w, targets: list[tuple[type, set[str]]]) -> None:
    """A 担い手 (0018) stays when the household of the resident or sheet it came from is purged:
    only the link goes."""
    found = dict(targets)
    persons, sheets = found.get(Person, set()), found.get(ConcernSheet, set())
    for row in w.conn.execute(sa.select(Supporter.id, Supporter.person_id, Supporter.sheet_id)).all():
        changes = {}
        if row.person_id and row.person_id in persons:
            changes["person_id"] = None
        if row.sheet_id and row.sheet_id in sheets:
            changes["sheet_id"] = None
        if changes:
            w.update(Supporter, row.id, changes)


def _records_of(conn: Connection, household_ids: list[str]) -> list[tuple[type, set[str]]]:
    """Every row that belongs to these households, children before the household itself."""
    def ids(query) -> set[str]:
        return set(conn.execute(query).scalars())

    persons = ids(sa.select(Person.id).where(Person.household_id.in_(household_ids)))
    sheets = ids(sa.select(ConcernSheet.id).where(ConcernSheet.household_id.in_(household_ids)))
    found: dict[type, set[str]] = defaultdict(set)
    for model in reversed(CASE_MODELS):  # support cases (issue 18), children before the case
        found[model] = ids(sa.select(model.id).where(model.household_id.in_(household_ids)))
    found[Contact] = ids(sa.select(Contact.id).where(Contact.household_id.in_(household_ids)))
    found[SheetStatusChange] = ids(sa.select(SheetStatusChange.id).where(SheetStatusChange.sheet_id.in_(sheets)))
    found[Remark] = ids(sa.select(Remark.id).where(sa.or_(Remark.sheet_id.in_(sheets), Remark.person_id.in_(persons))))
    found[Referral] = ids(sa.select(Referral.id).where(Referral.household_id.in_(household_ids)))
    found[ConcernSheet] = sheets
    found[Attendance] = ids(sa.select(Attendance.id).where(Attendance.person_id.in_(persons)))
    found[SalonRegular] = ids(sa.select(SalonRegular.id).where(SalonRegular.person_id.in_(persons)))
    found[Consent] = ids(sa.select(Consent.id).where(Consent.person_id.in_(persons)))
    found[ConferenceCase] = ids(sa.select(ConferenceCase.id).where(ConferenceCase.household_id.in_(household_ids)))
    found[Person] = persons
    found[Household] = set(household_ids)
    return [(model, rows) for model, rows in found.items() if rows]
