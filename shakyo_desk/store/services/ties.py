"""支え合いの関係 (issue 19): who watches over or helps a household — a registered 担い手 or a
named neighbour, relative, 事業所 … — recorded, confirmed and ended by staff of the household's
districts (coordinators and admins everywhere). Households that should have someone nearby
(一人暮らし高齢者, 高齢者のみ) and have no tie are listed in one query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.roles import Role, sees_all_households
from shakyo_desk.domain.vocab import (
    SUPPORTER_KINDS,
    TIE_KINDS,
    TIE_NEEDED_FLAGS,
    TIE_SOURCES,
)
from shakyo_desk.store.models import (
    CommunityActivity,
    Contact,
    District,
    Household,
    Person,
    Supporter,
    SupportTie,
)
from shakyo_desk.store.services._common import (
    NO_RIGHT,
    choice,
    optional_text,
    parse_date,
    require,
)
from shakyo_desk.store.services.households import HOUSEHOLD_NOT_FOUND, OUT_OF_DISTRICT, require_household
from shakyo_desk.store.store import Store

TIE_GONE = "指定された支え合いの関係が見つかりません。一覧から選び直してください。"
HOUSEHOLD_GONE = "この世帯は終結または削除されているため、支え合いの関係を記録できません。"


@dataclass(frozen=True)
class TieInfo:
    id: str
    household_id: str
    person_id: str | None
    supporter_id: str | None
    supporter: str  # the registered supporter's name, or the free name
    supporter_kind: str
    kind: str
    frequency: str
    since: date | None
    confirmed_on: date | None
    ended_on: date | None
    source: str
    note: str


def _worker(store: Store) -> None:
    require(store.actor.role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF), NO_RIGHT)


def require_district(store: Store, district_id: str | None) -> None:
    """A district filter names one of the account's districts (coordinators and admins: any)."""
    if district_id and not sees_all_households(store.actor.role):
        require(district_id in store.actor.district_ids, OUT_OF_DISTRICT)


def _day(value, label: str, today: date) -> date | None:
    day = parse_date(value, label)
    if day is not None and day > today:
        raise InvalidInput(f"{label}が未来の日付になっています。今日までの日付を入力してください。")
    return day


def add_tie(store: Store, household_id: str, kind: str, *, supporter_id: str | None = None,
            supporter_name: str = "", supporter_kind: str = "", person_id: str | None = None,
            frequency: str = "", since: date | str | None = None, note: str = "", source: str = "世帯",
            contact_id: str | None = None, activity_id: str | None = None, today: date | None = None) -> str:
    _worker(store)
    values = _prepared(household_id, kind, supporter_id=supporter_id, supporter_name=supporter_name,
                       supporter_kind=supporter_kind, person_id=person_id, frequency=frequency, since=since,
                       note=note, source=source, contact_id=contact_id, activity_id=activity_id,
                       today=today or clock.today())
    with store.write() as w:
        _check_many(store, w, [values])
        return w.insert(SupportTie, values)


def _live(store: Store, tie_id: str) -> dict:
    with store.read() as s:
        row = s.execute(sa.select(SupportTie.__table__).where(SupportTie.id == tie_id)).mappings().one_or_none() \
            if tie_id else None
    if row is None or row["deleted_at"] is not None:
        raise NotFound(TIE_GONE)
    _worker(store)
    require_household(store, row["household_id"], edit=True)
    return dict(row)


def update_tie(store: Store, tie_id: str, *, kind: str | None = None, frequency: str | None = None,
               note: str | None = None) -> None:
    tie = _live(store, tie_id)
    changes = {}
    if kind is not None:
        changes["kind"] = choice(kind, TIE_KINDS, "支え合いの種類")
    if frequency is not None:
        changes["frequency"] = optional_text(frequency, "頻度", 100)
    if note is not None:
        changes["note"] = optional_text(note, "メモ", 4000)
    with store.write() as w:
        w.require_alive(SupportTie, tie["id"], TIE_GONE)
        w.update(SupportTie, tie["id"], changes)


def confirm_tie(store: Store, tie_id: str, on: date | str | None = None, today: date | None = None) -> None:
    """The tie still holds (heard on a visit, at a 懇談会 …)."""
    tie = _live(store, tie_id)
    today = today or clock.today()
    day = _day(on, "確認した日", today) or today
    if tie["ended_on"] is not None:
        raise InvalidInput("この支え合いの関係は終わっています。続いているなら、新しく記録してください。")
    with store.write() as w:
        w.require_alive(SupportTie, tie["id"], TIE_GONE)
        w.update(SupportTie, tie["id"], {"confirmed_on": day})


def end_tie(store: Store, tie_id: str, on: date | str | None = None, today: date | None = None) -> None:
    tie = _live(store, tie_id)
    today = today or clock.today()
    day = _day(on, "終わった日", today) or today
    if tie["since"] is not None and day < tie["since"]:
        raise InvalidInput("終わった日が、始まった日より前になっています。日付を確かめてください。")
    if tie["ended_on"] is not None:
        raise InvalidInput("この支え合いの関係はすでに終わっています。")
    with store.write() as w:
        w.require_alive(SupportTie, tie["id"], TIE_GONE)
        w.update(SupportTie, tie["id"], {"ended_on": day})


def list_ties(store: Store, *, household_id: str | None = None, district_id: str | None = None,
              include_ended: bool = False, district_ids: Iterable[str] | None = None) -> list[TieInfo]:
    """Ties of a household, or of a district's households (``district_ids``: of any of these
    districts), or every tie this account may see. Plain rows, not ORM objects: a council's
    15,000 ties load in a fraction of the time."""
    _worker(store)
    require_district(store, district_id)
    if household_id:
        require_household(store, household_id)
    t = SupportTie
    query = (sa.select(t.id, t.household_id, t.person_id, t.supporter_id, sa.func.coalesce(Supporter.name,
                                                                                         t.supporter_name),
                       t.supporter_kind, t.kind, t.frequency, t.since, t.confirmed_on, t.ended_on, t.source, t.note,
                       Household.district_id)
             .join(Household, Household.id == t.household_id)
             .outerjoin(Supporter, Supporter.id == t.supporter_id).where(t.deleted_at.is_(None)))
    if household_id:
        query = query.where(t.household_id == household_id)
    if district_id:
        query = query.where(Household.district_id == district_id)
    if district_ids is not None:
        query = query.where(Household.district_id.in_(sorted(set(district_ids))))
    if not include_ended:
        query = query.where(t.ended_on.is_(None))
    actor = store.actor
    with store.read() as s:
        rows = s.execute(query.order_by(t.household_id, t.since, t.created_at)).all()
    return [TieInfo(*r[:13]) for r in rows if sees_all_households(actor.role) or r[13] in actor.district_ids]


@dataclass(frozen=True)
class Untied:
    household_id: str
    district_id: str | None
    district: str
    head_name: str
    flags: tuple[str, ...]


def households_without_tie(store: Store, district_id: str | None = None) -> list[Untied]:
    """一人暮らし高齢者 and 高齢者のみ households with no tie that holds, in one query."""
    _worker(store)
    require_district(store, district_id)
    h = Household
    head = (sa.select(Person.name).where(Person.household_id == h.id, Person.deleted_at.is_(None))
            .order_by(Person.sort_order).limit(1).scalar_subquery())
    each = sa.func.json_each(h.flags).table_valued("value")
    flagged = sa.exists(sa.select(sa.literal(1)).select_from(each).where(each.c.value.in_(TIE_NEEDED_FLAGS)))
    tied = sa.exists(sa.select(SupportTie.id).where(SupportTie.household_id == h.id, SupportTie.deleted_at.is_(None),
                                                     SupportTie.ended_on.is_(None)))
    query = (sa.select(h.id, h.district_id, District.name, head, h.flags).outerjoin(District, District.id == h.district_id)
             .where(h.deleted_at.is_(None), flagged, ~tied))
    if district_id:
        query = query.where(h.district_id == district_id)
    actor = store.actor
    if not sees_all_households(actor.role):
        query = query.where(h.district_id.in_(sorted(actor.district_ids)))
    with store.read() as s:
        rows = s.execute(query.order_by(District.name, h.id)).all()
    return [Untied(r[0], r[1], r[2] or "", r[3] or "", tuple(f for f in (r[4] or []) if f in TIE_NEEDED_FLAGS))
            for r in rows]


# ---- for the screens (issue 19): the members to choose from, the district list, many at once ----


def household_members(store: Store, household_id: str) -> list[tuple[str, str]]:
    """(id, name) of the household's members, for 「支えを受ける方」 (not audited as a view)."""
    _worker(store)
    require_household(store, household_id)
    with store.read() as s:
        return [(r[0], r[1]) for r in s.execute(sa.select(Person.id, Person.name).where(
            Person.household_id == household_id, Person.deleted_at.is_(None)).order_by(Person.sort_order))]


@dataclass(frozen=True)
class TieRow:
    """A tie with its household, for the 支え合い tab of the 地域 page."""

    tie: TieInfo
    household: str  # the head's name
    district: str


def list_tie_rows(store: Store, district_ids: list[str] | frozenset[str] | None = None) -> list[TieRow]:
    """Live ties of the households this account sees, in ``district_ids`` when given (a district
    and its 集落), with the household's head and district, by district and household."""
    from shakyo_desk.store.store import with_subdistricts

    _worker(store)
    for district_id in district_ids or ():
        require_district(store, district_id)
    with store.read() as s:
        wanted = with_subdistricts(s, list(district_ids)) if district_ids else None
        head = (sa.select(Person.name).where(Person.household_id == Household.id, Person.deleted_at.is_(None))
                .order_by(Person.sort_order).limit(1).scalar_subquery())
        query = (sa.select(Household.id, head, Household.district_id, District.name)
                 .outerjoin(District, District.id == Household.district_id)
                 .where(Household.deleted_at.is_(None),
                        Household.id.in_(sa.select(SupportTie.household_id).where(SupportTie.deleted_at.is_(None)))))
        if wanted is not None:
            query = query.where(Household.district_id.in_(sorted(wanted)))
        households = {r[0]: (r[1] or "", r[2], r[3] or "") for r in s.execute(query)}
    actor = store.actor
    rows = [TieRow(t, households[t.household_id][0], households[t.household_id][2])
            for t in list_ties(store, district_ids=wanted) if t.household_id in households
            and (sees_all_households(actor.role) or households[t.household_id][1] in actor.district_ids)]
    return sorted(rows, key=lambda r: (r.district, r.household, r.tie.since or date.min))


@dataclass(frozen=True)
class BulkResult:
    saved: list[str]  # the new ties' ids
    refused: list[tuple[int, str]]  # (index of the row given, the Japanese reason)


def add_ties_each(store: Store, rows: list[dict], *, activity_id: str | None = None,
                  today: date | None = None) -> BulkResult:
    """Many ties heard at once (a 地域懇談会 typed in on screen): each row is ``add_tie``'s keywords
    with ``household_id`` and ``kind``; each goes through ``add_tie`` in its own transaction, so a
    refused row writes nothing and the others are kept (``add_ties``: all or nothing). Heard at
    the 懇談会 (and the ``activity_id`` given)."""
    today = today or clock.today()
    saved, refused = [], []
    for index, row in enumerate(rows):
        row = dict(row)
        household_id, kind = row.pop("household_id", ""), row.pop("kind", "")
        try:
            if not household_id:
                raise InvalidInput("世帯を選んでください。")
            saved.append(add_tie(store, household_id, kind, source="懇談会", activity_id=activity_id, today=today,
                                 **row))
        except (InvalidInput, NotFound) as error:
            refused.append((index, error.message))
    return BulkResult(saved, refused)


def add_ties(store: Store, rows: list[dict]) -> list[str]:
    """Many ties in one transaction (a 地域懇談会's sheet, the demo's network): each row holds
    ``add_tie``'s arguments (``household_id``, ``kind`` and its keywords, ``today`` too), and
    may say the tie has already ended (``ended_on``, as ``end_tie`` would record it). Every row
    is checked as ``add_tie`` checks it, with the same sentences, the households, members and
    supporters read once for the whole batch; one refused row refuses them all, nothing written."""
    _worker(store)
    today = clock.today()
    prepared = []
    for n, row in enumerate(rows, start=1):
        row = dict(row)
        household_id, kind = row.pop("household_id", ""), row.pop("kind", "")
        row["today"] = row.get("today") or today
        try:
            prepared.append(_prepared(household_id, kind, **row))
        except InvalidInput as error:
            raise InvalidInput(f"{n}件目：{error}") from error
    with store.write() as w:
        _check_many(store, w, prepared)
        with w.bulk():  # checked above: the rows written with one statement (Writer.bulk)
            return [w.insert(SupportTie, values) for values in prepared]


def _prepared(household_id: str, kind: str, *, supporter_id: str | None = None, supporter_name: str = "",
              supporter_kind: str = "", person_id: str | None = None, frequency: str = "",
              since: date | str | None = None, note: str = "", source: str = "世帯", contact_id: str | None = None,
              activity_id: str | None = None, ended_on: date | str | None = None, today: date) -> dict:
    """One row of ``add_ties``: the values ``add_tie`` would insert (same checks, same sentences)."""
    values = {
        "household_id": household_id, "person_id": person_id or None, "supporter_id": supporter_id or None,
        "kind": choice(kind, TIE_KINDS, "支え合いの種類"),
        "frequency": optional_text(frequency, "頻度", 100), "since": _day(since, "始まった日", today),
        "confirmed_on": today, "note": optional_text(note, "メモ", 4000),
        "source": choice(source, TIE_SOURCES, "聞き取った場面"),
        "contact_id": contact_id or None, "activity_id": activity_id or None,
        "supporter_name": optional_text(supporter_name, "支え手の名前", 100),
        "supporter_kind": choice(supporter_kind, SUPPORTER_KINDS, "支え手の立場") if supporter_kind else "",
        "ended_on": _day(ended_on, "終わった日", today) if ended_on else None,
    }
    if not values["supporter_id"] and not values["supporter_name"]:
        raise InvalidInput("支え手を、登録された担い手から選ぶか、名前を入力してください。")
    if values["supporter_id"] and values["supporter_name"]:
        raise InvalidInput("支え手は、登録された担い手か名前のどちらか一方で指定してください。")
    if values["ended_on"] and values["since"] and values["ended_on"] < values["since"]:
        raise InvalidInput("終わった日が、始まった日より前になっています。日付を確かめてください。")
    return values


def _check_many(store: Store, w, prepared: list[dict]) -> None:
    """The checks of a tie that need the store (the household there, editable by this account and
    not closed; the member, supporter, visit and activity it names), for a batch in a few queries."""
    from shakyo_desk.domain.roles import may_edit_household
    from shakyo_desk.store.services.retention import closed_households

    def ids(key: str) -> list[str]:
        return sorted({v[key] for v in prepared if v[key]})

    conn, households = w.conn, ids("household_id")
    found = {r.id: r for r in conn.execute(sa.select(Household.id, Household.district_id, Household.deleted_at)
                                           .where(Household.id.in_(households)))}
    closed = closed_households(conn, households)
    members: dict[str, set[str]] = {}
    for person_id, household_id in conn.execute(sa.select(Person.id, Person.household_id).where(
            Person.household_id.in_(households), Person.deleted_at.is_(None))):
        members.setdefault(household_id, set()).add(person_id)
    supporters = dict(conn.execute(sa.select(Supporter.id, Supporter.person_id).where(
        Supporter.id.in_(ids("supporter_id")), Supporter.deleted_at.is_(None))).all())
    contacts = set(conn.execute(sa.select(Contact.id).where(Contact.id.in_(ids("contact_id")),
                                                            Contact.deleted_at.is_(None))).scalars())
    activities = set(conn.execute(sa.select(CommunityActivity.id).where(
        CommunityActivity.id.in_(ids("activity_id")), CommunityActivity.deleted_at.is_(None))).scalars())
    actor = store.actor
    for values in prepared:
        h = found.get(values["household_id"])
        if h is None or h.deleted_at is not None:
            raise NotFound(HOUSEHOLD_NOT_FOUND)
        require(may_edit_household(actor.role, actor.district_ids, h.district_id), OUT_OF_DISTRICT)
        if h.id in closed:
            raise InvalidInput(HOUSEHOLD_GONE)
        mine = members.get(h.id, set())
        if values["person_id"] and values["person_id"] not in mine:
            raise InvalidInput("支えを受ける方は、この世帯の方から選んでください。")
        if values["supporter_id"]:
            if values["supporter_id"] not in supporters:
                raise NotFound("選んだ担い手が見つかりません。担い手の一覧から選び直してください。")
            if supporters[values["supporter_id"]] and supporters[values["supporter_id"]] in mine:
                raise InvalidInput("同じ世帯の方どうしを支え合いの関係にはできません。支え手は世帯の外の方を選んでください。")
        if values["contact_id"] and values["contact_id"] not in contacts:
            raise NotFound("聞き取った訪問の記録が見つかりません。")
        if values["activity_id"] and values["activity_id"] not in activities:
            raise NotFound("聞き取った地域活動が見つかりません。")
