"""支え合いマップ (issue 19): the households and supporters of a district (its 集落 included)
and the ties between them, with the marks a 地域懇談会 looks for — an elderly household living
alone or elderly-only with no tie at all, a tie nobody has confirmed for a year, a supporter
carrying many households.

Which households: every household with a tie that holds, and every 一人暮らし高齢者 / 高齢者のみ
household (``vocab.TIE_NEEDED_FLAGS``, as ``ties.households_without_tie``). Supporters: the
registered 担い手 and the free names on ties (one node per name and kind).

Minimised by default, as handouts are: a household is a number, a supporter its kind and a
number (住1, 民2 …); no name is even read from the store. Names (``names=True``) follow the
handout rule — only those who decide what a handout discloses (coordinators, admins) — and are
refused while any supporter on the map has not agreed to be contacted (a free name on a tie is
not in the register, so has not): the map without names can still be made.

Three reads in one transaction (districts, households, ties with their supporters), whatever
the size of the district; a fourth for the heads' names only when names are asked for."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput, NotFound, PermissionDenied
from shakyo_desk.domain.roles import Role, manages_conferences
from shakyo_desk.domain.vocab import SUPPORTER_KINDS, TIE_NEEDED_FLAGS
from shakyo_desk.store.models import District, Household, Person, Supporter, SupportTie
from shakyo_desk.store.services._common import NO_RIGHT, require
from shakyo_desk.store.services.ties import require_district
from shakyo_desk.store.store import Store, with_subdistricts

# A tie not confirmed (nor begun) within this many days is shown as 1年以上未確認.
STALE_DAYS = 365
# A supporter with ties to this many households on the map or more is marked 多くを担う: the
# 支え合いマップ guides ask a 懇談会 to notice whoever one name keeps coming back to, and five
# households — one every weekday — is about where a neighbour's daily 声かけ stops being light.
# One number for every kind keeps the mark simple to explain on the legend. A 事業所 (新聞配達,
# 移動販売, 配食) serving many households is doing its work, not carrying a burden: never marked.
MANY_HOUSEHOLDS = 5
CARRIES_BY_TRADE = "事業所"
# The short letter of each kind of supporter on a minimised map (住1, 民2 …); the legend spells them out.
KIND_LETTERS = {"住民": "住", "民生委員": "民", "事業所": "事", "親族": "親", "ボランティア": "ボ", "サロン": "サ"}
# A relative named on a tie (not a registered 担い手): drawn beside the household, not as a node.
RELATIVE = "親族"
# A registered 担い手 whose ties name no kind of supporter.
DEFAULT_KIND = "住民"

NAMES_NOT_ALLOWED = ("名前入りの支え合いマップは、コーディネーターと管理者だけが作れます。"
                     "名前を伏せたマップは作れます。")


@dataclass(frozen=True)
class Area:
    """A 集落/行政区 of the map (the district itself for households placed in no 集落)."""

    id: str
    name: str


@dataclass(frozen=True)
class MapHousehold:
    id: str
    number: int  # 1 … on this map, in 集落 order
    label: str  # the number, or the head's name when names are shown
    area_id: str
    flags: tuple[str, ...]  # the TIE_NEEDED_FLAGS it has
    ties: int  # ties that hold (with relatives living away)
    name: str = ""  # the head's name: only when names are shown
    relatives: int = 0  # relatives living away who look in (drawn as 「親」 beside it, not as nodes)
    relatives_stale: bool = False  # one of those not confirmed for STALE_DAYS

    @property
    def untied(self) -> bool:
        """一人暮らし高齢者 / 高齢者のみ with no tie at all."""
        return self.ties == 0


@dataclass(frozen=True)
class MapSupporter:
    key: str  # "s<n>" — stable on this map, never a name
    label: str  # 住1, or the name when names are shown
    kind: str  # SUPPORTER_KINDS
    area_id: str
    registered: bool  # in the 担い手 register
    consent: bool  # agreed to be contacted (a free name on a tie: no)
    households: int  # households on this map they support
    supporter_id: str | None = None
    name: str = ""  # only when names are shown

    @property
    def many(self) -> bool:
        return self.kind != CARRIES_BY_TRADE and self.households >= MANY_HOUSEHOLDS


@dataclass(frozen=True)
class MapTie:
    id: str
    household_id: str
    supporter: str  # MapSupporter.key
    kind: str  # TIE_KINDS
    confirmed_on: date | None  # the last confirmation (or the start, when never confirmed)
    stale: bool  # not confirmed for STALE_DAYS


@dataclass(frozen=True)
class SupportMap:
    district_id: str
    district: str
    today: date
    names: bool
    areas: tuple[Area, ...]
    households: tuple[MapHousehold, ...]
    supporters: tuple[MapSupporter, ...]
    ties: tuple[MapTie, ...]
    counts: dict = field(default_factory=dict)

    def untied(self) -> list[MapHousehold]:
        return [h for h in self.households if h.untied]


def names_allowed(role: Role) -> bool:
    """Who may print names on the map: as on a conference handout, those who decide what it discloses."""
    return manages_conferences(role)


def build_map(store: Store, district_id: str, *, names: bool = False, today: date | None = None) -> SupportMap:
    """The 支え合いマップ of a district and its 集落. Reads only; refusals change nothing."""
    require(store.actor.role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF), NO_RIGHT)
    if names and not names_allowed(store.actor.role):
        raise PermissionDenied(NAMES_NOT_ALLOWED)
    require_district(store, district_id)
    today = today or clock.today()
    with store.read() as s:
        top = s.get(District, district_id) if district_id else None
        if top is None or top.deleted_at is not None:
            raise NotFound("地区が見つかりません。地区を選び直してください。")
        area_ids = with_subdistricts(s, [district_id])
        area_rows = s.execute(sa.select(District.id, District.name, District.parent_id, District.sort_order)
                              .where(District.id.in_(sorted(area_ids)), District.deleted_at.is_(None))).all()
        live = sorted(r[0] for r in area_rows)
        house_rows = s.execute(_households_query(live)).all()
        tie_rows = s.execute(_ties_query(live)).all()
        heads = _heads(s, live) if names else {}
    areas = _areas(district_id, top.name, area_rows)
    return _assemble(district_id, top.name, today, names, areas, house_rows, tie_rows, heads)


def _households_query(area_ids: list[str]):
    h = Household
    each = sa.func.json_each(h.flags).table_valued("value")
    flagged = sa.exists(sa.select(sa.literal(1)).select_from(each).where(each.c.value.in_(TIE_NEEDED_FLAGS)))
    tied = sa.exists(sa.select(SupportTie.id).where(SupportTie.household_id == h.id, SupportTie.deleted_at.is_(None),
                                                     SupportTie.ended_on.is_(None)))
    return (sa.select(h.id, h.code, h.district_id, h.flags)
            .where(h.deleted_at.is_(None), h.district_id.in_(area_ids), sa.or_(flagged, tied)))


def _ties_query(area_ids: list[str]):
    t = SupportTie
    return (sa.select(t.id, t.household_id, t.supporter_id, t.supporter_name, t.supporter_kind, t.kind, t.since,
                      t.confirmed_on, Supporter.name, Supporter.district_id, Supporter.contact_consent,
                      Supporter.deleted_at)
            .join(Household, Household.id == t.household_id)
            .outerjoin(Supporter, Supporter.id == t.supporter_id)
            .where(t.deleted_at.is_(None), t.ended_on.is_(None), Household.deleted_at.is_(None),
                   Household.district_id.in_(area_ids))
            .order_by(t.id))


def _heads(s, area_ids: list[str]) -> dict[str, str]:
    """Each household's first member (the head), in one query."""
    rows = s.execute(sa.select(Person.household_id, Person.name, Person.sort_order)
                     .join(Household, Household.id == Person.household_id)
                     .where(Person.deleted_at.is_(None), Household.deleted_at.is_(None),
                            Household.district_id.in_(area_ids))
                     .order_by(Person.household_id, Person.sort_order.desc())).all()
    return {household: name for household, name, _ in rows}  # the lowest sort_order wins (last written)


def _areas(top_id: str, top_name: str, rows) -> list[tuple[Area, tuple]]:
    """The district first, then its 集落 in tree order (sort_order, then name)."""
    parents = {r[0]: r[2] for r in rows}

    def depth(area: str) -> int:
        d = 0
        while area != top_id and parents.get(area) in parents:
            area, d = parents[area], d + 1
        return d

    ordered = sorted(rows, key=lambda r: (r[0] != top_id, depth(r[0]), r[3], r[1], r[0]))
    return [Area(r[0], top_name if r[0] == top_id else r[1]) for r in ordered]


def _stale(since: date | None, confirmed: date | None, today: date) -> tuple[date | None, bool]:
    last = confirmed or since
    return last, last is None or last < today - timedelta(days=STALE_DAYS)


def _assemble(district_id, district, today, names, areas, house_rows, tie_rows, heads) -> SupportMap:
    order = {a.id: i for i, a in enumerate(areas)}
    house_rows = sorted(house_rows, key=lambda r: (order.get(r[2], len(order)), r[1] or "", r[0]))
    tie_count = Counter(r[1] for r in tie_rows)
    households = [MapHousehold(r[0], n, heads.get(r[0], "") or str(n) if names else str(n), r[2],
                               tuple(f for f in (r[3] or []) if f in TIE_NEEDED_FLAGS), tie_count[r[0]],
                               heads.get(r[0], "") if names else "")
                  for n, r in enumerate(house_rows, 1)]
    area_of = {h.id: h.area_id for h in households}

    # One supporter node per registered 担い手, and per free name and kind. A relative named freely
    # (「長女（隣町在住）」) lives away and is of that household only: a mark beside it, not a node
    # (half the nodes of a district were such relatives, each a line to one household).
    found: dict[str, dict] = {}
    ties: list[tuple] = []
    relatives: dict[str, list[bool]] = {}
    for (tie_id, household, supporter_id, free_name, free_kind, kind, since, confirmed, reg_name, reg_district,
         consent, reg_deleted) in tie_rows:
        if not supporter_id and free_kind == RELATIVE:
            relatives.setdefault(household, []).append(_stale(since, confirmed, today)[1])
            continue
        if supporter_id:
            ident = f"r:{supporter_id}"
            entry = found.setdefault(ident, {"first": tie_id, "registered": True, "supporter_id": supporter_id,
                                             "name": reg_name or "", "district": reg_district,
                                             "consent": bool(consent) and reg_deleted is None, "kinds": Counter(),
                                             "households": set()})
        else:
            ident = f"n:{free_kind}:{free_name}"
            entry = found.setdefault(ident, {"first": tie_id, "registered": False, "supporter_id": None,
                                             "name": free_name, "district": None, "consent": False,
                                             "kinds": Counter(), "households": set()})
        if free_kind:
            entry["kinds"][free_kind] += 1
        entry["households"].add(household)
        ties.append((tie_id, household, ident, kind, since, confirmed))

    def kind_of(entry) -> str:
        if entry["kinds"]:
            return sorted(entry["kinds"].items(), key=lambda kv: (-kv[1], SUPPORTER_KINDS.index(kv[0])))[0][0]
        return DEFAULT_KIND

    def area(entry) -> str:
        if entry["district"] in order:
            return entry["district"]
        seen = Counter(area_of[h] for h in entry["households"] if h in area_of)
        return min(seen, key=lambda a: (-seen[a], order.get(a, 0))) if seen else district_id

    kinds = {ident: kind_of(e) for ident, e in found.items()}
    ranked = sorted(found, key=lambda i: (SUPPORTER_KINDS.index(kinds[i]), found[i]["first"]))
    numbers: Counter = Counter()
    keys: dict[str, str] = {}
    supporters = []
    for position, ident in enumerate(ranked, 1):
        entry, kind = found[ident], kinds[ident]
        numbers[kind] += 1
        keys[ident] = f"s{position}"
        short = f"{KIND_LETTERS[kind]}{numbers[kind]}"
        supporters.append(MapSupporter(keys[ident], (entry["name"] or short) if names else short, kind, area(entry),
                                       entry["registered"], entry["consent"], len(entry["households"]),
                                       entry["supporter_id"], entry["name"] if names else ""))
    households = [replace(h, relatives=len(relatives[h.id]), relatives_stale=any(relatives[h.id]))
                  if h.id in relatives else h for h in households]
    map_ties = []
    for tie_id, household, ident, kind, since, confirmed in ties:
        last, stale = _stale(since, confirmed, today)
        map_ties.append(MapTie(tie_id, household, keys[ident], kind, last, stale))
    if names:
        _refuse_without_consent(supporters)
    counts = {"households": len(households), "supporters": len(supporters),
              "untied": sum(1 for h in households if h.untied),
              "stale": sum(1 for t in map_ties if t.stale) + sum(sum(r) for r in relatives.values()),
              "many": sum(1 for s in supporters if s.many), "ties": len(tie_rows)}
    return SupportMap(district_id, district, today, names, tuple(areas), tuple(households), tuple(supporters),
                      tuple(map_ties), counts)


def _refuse_without_consent(supporters: list[MapSupporter]) -> None:
    missing = [s for s in supporters if not s.consent]
    if missing:
        unregistered = sum(1 for s in missing if not s.registered)
        detail = f"（うち担い手に登録されていない方 {unregistered}人）" if unregistered else ""
        raise InvalidInput(f"このマップには、連絡・掲載に同意していない支え手が{len(missing)}人います{detail}。"
                           "同意のない方の名前は地図に載せられません。名前を伏せたマップは印刷できます。")


def counts_text(m: SupportMap) -> str:
    c = m.counts
    return (f"世帯 {c['households']}・支え手 {c['supporters']}・つながりなし {c['untied']}・"
            f"1年以上未確認 {c['stale']}・多くを担う支え手 {c['many']}")


def untied_names(store: Store, district_id: str) -> dict[str, str]:
    """The heads of the district's households: for the no-tie list beside the map on screen,
    to staff who may see the district anyway (the household pages show the same names)."""
    require(store.actor.role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF), NO_RIGHT)
    require_district(store, district_id)
    with store.read() as s:
        area_ids = sorted(with_subdistricts(s, [district_id]))
        return _heads(s, area_ids)
