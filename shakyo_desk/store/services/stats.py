"""Statistics (DESIGN §7, issue 6): the monthly and yearly figures councils report.

Every figure is counted in SQL (GROUP BY over the period's rows; nothing loads the records
themselves) and comes back as plain frozen dataclasses: a ``Figures`` holds named ``Table``s,
each a title, column headers and rows of (label, values…). The screen, the CSV, the PDF and
JSON all render these same tables; suppression of small counts for anything exported is done
afterwards, by ``reports/stats_suppress.py``, which reads the column and row flags set here.

Definitions (also in docs/architecture.md, "Statistics"):

- A period is a 年度 (from the council's ``fiscal_year_start_month``) or a calendar month,
  half-open ``[start, end)``. The comparison period is the same span one year earlier
  (last 年度, or the same month last year).
- A record's district is its household's district (a community contact: its place's; a salon
  session: its salon's; a referral without a household: its sheet's household). Tables "by
  district" roll 行政区/集落 up into the rows shown: the top-level 地区, or, when a district is
  chosen, the chosen district and its direct children. Records without a district form a
  row 地区なし (only when no district is chosen and the account sees the whole council).
- Contacts: every attempt counts (不在 too, also shown on its own). 世帯（実数）: distinct
  households with at least one contact (any method) in the period; 初めての世帯: those whose
  first contact ever falls in the period.
- Salons: 延べ = named attendances + the unnamed count of each session; 実参加者数 = distinct
  named persons (unnamed attendees cannot be told apart).
- Sheets: those noticed in the period, by concern (several per sheet), urgency, and status at
  the end of the period (today while the period is running). Days to つないだ / 終結: sheets
  that first reached that status during the period, counted from the day noticed.
- Referrals: made in the period, by agency and their recorded outcome.
- Conferences: held in the period, by type, with the households discussed (延べ).
- Support cases (issue 18), by the household's district: opened in the period; still open at
  its end (the last status change before the end is not 終結; today while it runs); closed in
  the period (a case closed twice counts once, at its last closure), with the median and mean
  days from the case's opening to that closure. Monitoring: goals reviewed in the period (a
  monitoring record dated in it) and, of them, achieved (達成); each record on time when made on
  or before the review date standing for its goal (the goal's review date, then the next review
  set by the record before), late otherwise. 地域課題 raised in the period by their own district
  (events, not people: never suppressed; a 年度's titles are listed in the table's note).
- Community work (issue 19): 支え合いの関係, households with none, 担い手 against the target,
  地域活動 and the 地域課題 with their evidence — defined in ``stats_community``.

Who sees what: coordinators and admins the whole council; staff only their districts (with
their 行政区/集落); reporters nothing (they see only their own sheets).
"""

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime

import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput, PermissionDenied
from shakyo_desk.domain.roles import Role, sees_all_households
from shakyo_desk.domain.vocab import (
    CASE_CLOSED,
    CONFERENCE_TYPES,
    CONTACT_METHODS,
    FAILED_METHOD,
    GOAL_ENDED,
    REFERRAL_OUTCOMES,
    SHEET_STATUSES,
    URGENCIES,
)
from shakyo_desk.domain.wareki import (
    era_of,
    fiscal_year,
    fiscal_year_bounds,
    format_fiscal_year,
    format_wareki,
)
from shakyo_desk.store.models import (
    Agency,
    Attendance,
    CaseStatusChange,
    CommunityActivity,
    CommunityIssue,
    ConcernCategory,
    ConcernSheet,
    Conference,
    ConferenceCase,
    Contact,
    District,
    Household,
    Monitoring,
    Place,
    PlanGoal,
    Referral,
    Salon,
    SalonSession,
    SheetStatusChange,
    SupportCase,
)
from shakyo_desk.store.services._common import NO_RIGHT, require
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.services.stats_tables import (
    TOTAL,
    Column,
    Row,
    Table,
    _district_rows,
    _in_scope,
    _links,
    _total,
)
from shakyo_desk.store.store import Store, with_subdistricts

EARLIEST_YEAR = 1900
NO_DISTRICT = "地区なし"
ALL_DISTRICTS = "全地区"
NO_DATA_NOTE = "この期間の記録はありません（すべて0件です）。"
NOT_STARTED = "{label}はまだ始まっていません。今日までに始まった期間を指定してください。"
NO_SCOPE = "担当地区が設定されていないため、統計を表示できません。管理者に担当地区の設定を依頼してください。"
OUT_OF_SCOPE = "この地区の統計を見る権限がありません。担当している地区を指定してください。"


# ---- periods ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """A 年度 or a calendar month, half-open: ``start`` ≤ day < ``end``."""

    kind: str  # "fiscal_year" | "month"
    start: date
    end: date
    label: str  # 令和7年度 / 令和7年4月
    fiscal_year: int  # the 年度 (named by the year it starts in) the period belongs to
    month: int | None = None  # calendar month, for a month period

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)

    @property
    def range_text(self) -> str:
        """令和7年4月1日～令和8年3月31日"""
        return f"{format_wareki(self.start)}～{format_wareki(self.last_day)}"

    @property
    def iso(self) -> str:
        """2025-04 for a month, FY2025 for a 年度 (file names, JSON)."""
        return f"{self.start:%Y-%m}" if self.kind == "month" else f"FY{self.fiscal_year}"

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end


def fiscal_year_period(year: int, start_month: int = 4) -> Period:
    """The 年度 starting in ``start_month`` of ``year``."""
    if not isinstance(year, int) or isinstance(year, bool):
        raise InvalidInput("年度は 2025 のように西暦の数字で指定してください。")
    if year < EARLIEST_YEAR or year > 9998:
        raise InvalidInput(f"{year}年度は集計できません。{EARLIEST_YEAR}年度以降の年度を西暦で指定してください（例：2025）。")
    start, end = fiscal_year_bounds(year, start_month)
    return Period("fiscal_year", start, end, format_fiscal_year(year, start_month), year)


def month_period(year: int, month: int, start_month: int = 4) -> Period:
    if not isinstance(month, int) or not 1 <= month <= 12:
        raise InvalidInput(f"{month}月という月はありません。1〜12の月を指定してください（例：2025-04）。")
    if not isinstance(year, int) or year < EARLIEST_YEAR or year > 9998:
        raise InvalidInput(f"{year}年は集計できません。{EARLIEST_YEAR}年以降を西暦で指定してください（例：2025-04）。")
    start = date(year, month, 1)
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    era, _, era_year = era_of(start)
    label = f"{era}{'元' if era_year == 1 else era_year}年{month}月"
    return Period("month", start, end, label, fiscal_year(start, start_month), month)


def parse_month(text: str, start_month: int = 4) -> Period:
    """``2025-04`` (or 2025-4, 2025/04) → that month."""
    value = (text or "").strip().replace("/", "-")
    parts = value.split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
        raise InvalidInput(f"月「{text}」が正しくありません。YYYY-MM の形で指定してください（例：2025-04）。")
    return month_period(int(parts[0]), int(parts[1]), start_month)


def previous_period(period: Period, start_month: int = 4) -> Period:
    """The same span one year earlier: last 年度, or the same month last year."""
    if period.kind == "month":
        return month_period(period.start.year - 1, period.month, start_month)
    return fiscal_year_period(period.fiscal_year - 1, start_month)


def council_fiscal_year(store: Store, year: int) -> Period:
    """The 年度 ``year`` by the council's own start month."""
    return fiscal_year_period(year, get_settings(store).fiscal_year_start_month)


def council_month(store: Store, text: str) -> Period:
    return parse_month(text, get_settings(store).fiscal_year_start_month)


# ---- what is returned ------------------------------------------------------------------------

# Column, Row and Table live in stats_tables (shared with stats_community).



@dataclass(frozen=True)
class Figures:
    """The figures of one period (and the same figures one year earlier)."""

    council: str
    period: Period
    previous_period: Period
    district_id: str | None
    district: str  # 全地区 or the chosen district's path
    scope_note: str  # staff: 担当地区のみ
    threshold: int  # counts below it are suppressed in anything exported
    raw_allowed: bool  # coordinators and admins may see unsuppressed counts on screen
    tables: tuple[Table, ...]
    previous_tables: tuple[Table, ...]
    notes: tuple[str, ...]
    generated_at: datetime
    computed_until: date  # the last day counted (the period's last day, or today)
    fiscal_year_start_month: int = 4

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def previous_table(self, key: str) -> Table:
        for t in self.previous_tables:
            if t.key == key:
                return t
        raise KeyError(key)

    @property
    def is_empty(self) -> bool:
        from shakyo_desk.store.services.stats_community import SNAPSHOT_TABLES

        return all(t.is_empty for t in self.tables if t.key != "summary" and t.key not in SNAPSHOT_TABLES)


TABLE_KEYS = (
    "summary", "contacts_by_method", "contacts_by_district", "contacts_by_concern", "salons", "salons_by_district",
    "sheets_by_concern", "sheets_by_urgency", "sheets_by_status", "sheet_days", "referrals", "conferences",
    "cases_by_district", "case_days", "case_reviews_by_district", "community_issues",
    # issue 19 (stats_community.TABLE_KEYS)
    "ties_by_district", "ties_by_kind", "untied_by_district", "supporters_by_district", "activities_by_type",
    "community_issue_evidence",
)


# ---- scope: which districts, in which rows ---------------------------------------------------

@dataclass(frozen=True)
class _Scope:
    allowed: frozenset[str] | None  # district ids counted; None = everything, records without a district too
    buckets: dict[str, str]  # district id → reporting row key (a district id); rolled up in Python
    rows: tuple[tuple[str, str], ...]  # (row key, label) in order
    label: str
    note: str
    optional: frozenset[str] = frozenset()  # rows left out when all their values are 0


def _scope(store: Store, district_id: str | None) -> _Scope:
    actor = store.actor
    if actor.role == Role.REPORTER:
        raise PermissionDenied(NO_RIGHT)
    require(actor.role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF))
    with store.read() as s:
        districts = s.execute(sa.select(District.id, District.name, District.parent_id, District.deleted_at)
                              .order_by(District.sort_order, District.kana, District.name)).all()
        own = None if sees_all_households(actor.role) else with_subdistricts(s, list(actor.district_ids))
        chosen = None
        if district_id:
            chosen = next((d for d in districts if d.id == district_id and d.deleted_at is None), None)
            if chosen is None:
                raise InvalidInput("指定された地区が見つかりません。地区を選び直してください。")
            subtree = with_subdistricts(s, [district_id])
    ids = {d.id for d in districts}
    parent = {d.id: (d.parent_id if d.parent_id in ids else None) for d in districts}
    names = {d.id: d.name if d.deleted_at is None else f"{d.name}（削除済み）" for d in districts}
    live = [d for d in districts if d.deleted_at is None]
    if own is not None and not own:
        raise PermissionDenied(NO_SCOPE)

    def chain(d: str) -> list[str]:  # the district and its ancestors, nearest first
        seen = []
        while d is not None and d not in seen:
            seen.append(d)
            d = parent.get(d)
        return seen

    if chosen is not None:
        allowed = subtree if own is None else subtree & own
        if not allowed:
            raise PermissionDenied(OUT_OF_SCOPE)
        children = [d.id for d in live if parent.get(d.id) == chosen.id]
        buckets = {}
        for d in allowed:
            up = chain(d)
            buckets[d] = next((c for c in children if c in up), chosen.id)
        order = [chosen.id, *children]
        label = _path(chosen.id, parent, names)
    else:
        allowed = own
        roots = [d.id for d in districts if parent.get(d.id) is None]
        buckets = {d: chain(d)[-1] for d in (ids if allowed is None else allowed)}
        order = roots
        label = ALL_DISTRICTS
    used = set(buckets.values())
    rows = [(key, names[key]) for key in order if key in used]
    if allowed is None:
        rows.append(("", NO_DISTRICT))
    optional = {""}
    if chosen is not None and len(rows) > 1:
        optional.add(chosen.id)  # records on the 地区 itself rather than one of its 集落: rare
    note = "" if own is None else "担当地区の記録だけを集計しています。"
    return _Scope(None if allowed is None else frozenset(allowed), buckets, tuple(rows), label, note,
                  frozenset(optional))


def _path(district_id: str, parent: dict, names: dict) -> str:
    parts, d = [], district_id
    while d is not None and d not in parts:
        parts.append(d)
        d = parent.get(d)
    return " › ".join(names[p] for p in reversed(parts))


# _in_scope, _links, _district_rows and _total: stats_tables.


def _contact_tables(s, scope: _Scope, period: Period, concern_order: list[str], prefix: str) -> list[Table]:
    district = sa.func.coalesce(Household.district_id, Place.district_id).label("district")
    e = Contact.__table__.alias("earlier")
    earlier = sa.select(1).select_from(e).where(e.c.household_id == Contact.household_id, e.c.deleted_at.is_(None),
                                                e.c.contact_date < period.start).exists()
    known = list(CONTACT_METHODS)
    # One pass over the period's contacts, one row per household (and per district for the
    # contacts at places): how many by each method, at a place, their concern lists, and
    # whether the household had any contact before (evaluated once per household). Three
    # separate GROUP BYs read the same rows three times (0.66 s per 年度 on large-town).
    rows = s.execute(
        sa.select(district, Contact.household_id, sa.func.count(), sa.func.count(Contact.place_id),
                  *(sa.func.sum(sa.case((Contact.method == m, 1), else_=0)) for m in known),
                  sa.func.json_group_array(sa.func.json(Contact.concerns)), earlier)
        .select_from(Contact)
        .outerjoin(Household, Household.id == Contact.household_id)
        .outerjoin(Place, Place.id == Contact.place_id)
        .where(Contact.deleted_at.is_(None), Contact.contact_date >= period.start,
               Contact.contact_date < period.end, _in_scope(scope, district))
        .group_by(sa.text("district"), Contact.household_id)).all()

    methods: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # contacts, households
    per_bucket: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    concerns: dict[str, list] = defaultdict(lambda: [0, set()])
    for district_id, household_id, count, places, *by_method, concern_lists, had_earlier in rows:
        row = per_bucket[scope.buckets.get(district_id, "") if district_id else ""]
        row[0] += count
        row[2] += places
        for m, n in zip(known, by_method):
            methods[m][0] += n
            if n and household_id:
                methods[m][1] += 1
        other = count - sum(by_method)
        if other:  # a method outside today's list (an older vocabulary): shown as it is counted
            methods["その他"][0] += other
            methods["その他"][1] += 1 if household_id else 0
        row[1] += by_method[known.index(FAILED_METHOD)]
        if household_id:
            row[3] += 1
            row[4] += 0 if had_earlier else 1
        for items in json.loads(concern_lists):
            for item in set(items or ()):
                concerns[item][0] += 1
                if household_id:
                    concerns[item][1].add(household_id)
    order = [*known, *sorted(m for m in methods if m not in known)]
    reached = sum(v[3] for v in per_bucket.values())
    new_total = sum(v[4] for v in per_bucket.values())
    contacts_total = sum(v[0] for v in per_bucket.values())
    # The 不在 row's count is the summary's and the district table's うち不在: one quantity, so
    # suppression hides it everywhere or nowhere (reports/stats_suppress.py).
    method_rows = [Row(m, tuple(methods.get(m, (0, 0))), key=m,
                       links=_links(prefix, "contacts.failed") if m == FAILED_METHOD else ()) for m in order]
    method_rows.append(Row(TOTAL, (contacts_total, reached), key="total", total=True,
                           links=_links(prefix, "contacts.total", "households.reached")))
    by_method = Table("contacts_by_method", "方法別の訪問記録", "方法", (
        Column("contacts", "件数"),
        Column("households", "世帯（実数）", additive=False),
    ), tuple(method_rows), note="「不在」は会えなかった訪問・電話です。世帯（実数）は同じ世帯を1回と数えます。")

    rows = _district_rows(scope, {k: tuple(v) for k, v in per_bucket.items()}, 5)
    rows.append(Row(TOTAL, _total([r.values for r in rows], 5), key="total", total=True,
                    links=_links(prefix, "contacts.total", "contacts.failed", "contacts.place", "households.reached",
                                 "households.new")))
    by_district = Table("contacts_by_district", "地区別の訪問記録", "地区", (
        Column("contacts", "延べ件数"),
        Column("failed", "うち不在"),
        Column("place", "うち地域の拠点"),
        Column("households", "世帯（実数）"),
        Column("new_households", "うち初めての世帯"),
    ), tuple(rows), note="初めての世帯：それまでに訪問記録がなく、この期間に初めて記録した世帯。")

    concerns = {name: (count, len(households)) for name, (count, households) in concerns.items()}
    order = [*concern_order, *sorted(c for c in concerns if c not in concern_order)]
    by_concern_table = Table("contacts_by_concern", "困りごと別の訪問記録", "困りごと", (
        Column("contacts", "件数", additive=False),
        Column("households", "世帯（実数）", additive=False),
    ), tuple(Row(c, tuple(concerns.get(c, (0, 0))), key=c) for c in order),
        note="1件の記録に困りごとを複数選べるため、件数を足しても延べ件数にはなりません。")
    summary = {"contacts": contacts_total, "failed": methods[FAILED_METHOD][0],
               "place": sum(v[2] for v in per_bucket.values()), "households": reached, "new_households": new_total}
    return [by_method, by_district, by_concern_table], summary


def _json_items(base, column, distinct_column):
    """(item, count, distinct ``distinct_column``) for the items of a JSON list column."""
    items = sa.func.json_each(column).table_valued("value").alias("item")
    return (base.join(items, sa.true()).add_columns(items.c.value, sa.func.count(),
                                                    sa.func.count(sa.distinct(distinct_column)))
            .group_by(items.c.value))


def _salon_tables(s, scope: _Scope, period: Period, prefix: str):
    in_period = sa.and_(SalonSession.deleted_at.is_(None), SalonSession.session_date >= period.start,
                        SalonSession.session_date < period.end, _in_scope(scope, Salon.district_id))
    sessions = dict((salon, (n, unnamed)) for salon, n, unnamed in s.execute(
        sa.select(SalonSession.salon_id, sa.func.count(), sa.func.coalesce(sa.func.sum(SalonSession.unnamed_count), 0))
        .join(Salon, Salon.id == SalonSession.salon_id).where(in_period).group_by(SalonSession.salon_id)))
    # Each (salon, person) once with how often they came. The sessions are picked first and
    # their attendance found through its index: joining the other way round scans every
    # attendance there ever was (0.4 s instead of 0.08 s on large-town).
    session_ids = sa.select(SalonSession.id).join(Salon, Salon.id == SalonSession.salon_id).where(in_period)
    pairs = s.execute(sa.select(SalonSession.salon_id, Attendance.person_id, sa.func.count())
                      .select_from(Attendance).join(SalonSession, SalonSession.id == Attendance.session_id)
                      .where(Attendance.deleted_at.is_(None), Attendance.session_id.in_(session_ids))
                      .group_by(SalonSession.salon_id, Attendance.person_id)).all()
    salons = s.execute(sa.select(Salon.id, Salon.name, Salon.district_id, Salon.active, Salon.deleted_at)
                       .where(_in_scope(scope, Salon.district_id)).order_by(Salon.name)).all()
    salon_bucket = {x.id: scope.buckets.get(x.district_id, "") if x.district_id else "" for x in salons}
    named: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    persons_by_bucket: dict[str, set] = defaultdict(set)
    everyone = set()
    for salon_id, person_id, count in pairs:
        named[salon_id][0] += count
        named[salon_id][1] += 1
        persons_by_bucket[salon_bucket.get(salon_id, "")].add(person_id)
        everyone.add(person_id)
    persons_total = len(everyone)

    def values(salon_id: str) -> tuple[int, ...]:
        n, unnamed = sessions.get(salon_id, (0, 0))
        named_n, persons = named.get(salon_id, (0, 0))
        return (n, named_n + unnamed, named_n, unnamed, persons)

    district_order = {key: i for i, (key, _) in enumerate(scope.rows)}
    listed = [x for x in salons if x.id in sessions or (x.active and x.deleted_at is None)]
    listed.sort(key=lambda x: (district_order.get(scope.buckets.get(x.district_id, ""), len(district_order)), x.name))
    columns = (
        Column("sessions", "開催回数", personal=False),
        Column("attendances", "延べ参加者数"),
        Column("named", "うち名簿の方"),
        Column("unnamed", "うち人数のみ"),
        Column("persons", "実参加者数", additive=False),
    )
    links = _links(prefix, "salon.sessions", "salon.attendances", "salon.named", "salon.unnamed", "salon.persons")
    rows = [Row(x.name, values(x.id), key=x.id) for x in listed]
    total = (*_total([r.values for r in rows], 4), persons_total)
    rows.append(Row(TOTAL, total, key="total", total=True, links=links))
    note = ("延べ参加者数は開催ごとの参加者（名簿から記録した方＋名前を記録しない人数）の合計、"
            "実参加者数は名簿から記録した方を一人1回と数えた人数です。")
    by_salon = Table("salons", "サロン別の開催と参加", "サロン", columns, tuple(rows), note=note, row_total=(1, (2, 3)))

    per_bucket: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for x in salons:
        for i, v in enumerate(values(x.id)[:4]):
            per_bucket[salon_bucket[x.id]][i] += v
    for b, persons in persons_by_bucket.items():
        per_bucket[b][4] = len(persons)
    drows = _district_rows(scope, {k: tuple(v) for k, v in per_bucket.items()}, 5)
    drows.append(Row(TOTAL, (*_total([r.values for r in drows], 4), persons_total), key="total", total=True,
                     links=links))
    by_district = Table("salons_by_district", "地区別のサロン", "地区", columns, tuple(drows), note=note,
                        row_total=(1, (2, 3)))
    summary = {"sessions": total[0], "attendances": total[1], "persons": persons_total}
    return [by_salon, by_district], summary


def _sheet_tables(s, scope: _Scope, period: Period, concern_order: list[str], until: date, prefix: str):
    district = Household.district_id
    base = (sa.select().select_from(ConcernSheet)
            .outerjoin(Household, Household.id == ConcernSheet.household_id)
            .where(ConcernSheet.deleted_at.is_(None), ConcernSheet.noticed_on >= period.start,
                   ConcernSheet.noticed_on < period.end, _in_scope(scope, district)))
    urgencies = dict(s.execute(base.add_columns(ConcernSheet.urgency, sa.func.count())
                               .group_by(ConcernSheet.urgency)).all())
    concerns = {name: count for name, count, _ in s.execute(
        _json_items(base, ConcernSheet.concerns, ConcernSheet.id)).all()}
    sheet_ids = base.add_columns(ConcernSheet.id).subquery()
    # status at the end of the period: the last change dated before it
    end = min(period.end, date.fromordinal(until.toordinal() + 1))
    ranked = (sa.select(SheetStatusChange.status, sa.func.row_number().over(
        partition_by=SheetStatusChange.sheet_id,
        order_by=(SheetStatusChange.changed_on.desc(), SheetStatusChange.created_at.desc())).label("rank"))
        .where(SheetStatusChange.deleted_at.is_(None), SheetStatusChange.changed_on < end,
               SheetStatusChange.sheet_id.in_(sa.select(sheet_ids.c.id)))).subquery()
    statuses = dict(s.execute(sa.select(ranked.c.status, sa.func.count()).where(ranked.c.rank == 1)
                              .group_by(ranked.c.status)).all())
    # days to the first つないだ / 終結, for sheets that first reached it during the period
    first = (sa.select(SheetStatusChange.status.label("status"),
                       sa.func.min(SheetStatusChange.changed_on).label("reached"),
                       ConcernSheet.noticed_on.label("noticed"))
             .join(ConcernSheet, ConcernSheet.id == SheetStatusChange.sheet_id)
             .outerjoin(Household, Household.id == ConcernSheet.household_id)
             .where(SheetStatusChange.deleted_at.is_(None), ConcernSheet.deleted_at.is_(None),
                    SheetStatusChange.status.in_(["つないだ", "終結"]), _in_scope(scope, district))
             .group_by(SheetStatusChange.sheet_id, SheetStatusChange.status)
             .having(sa.and_(sa.func.min(SheetStatusChange.changed_on) >= period.start,
                             sa.func.min(SheetStatusChange.changed_on) < end))).subquery()
    days: dict[str, list[float]] = defaultdict(list)
    for status, elapsed in s.execute(sa.select(
            first.c.status, sa.func.julianday(first.c.reached) - sa.func.julianday(first.c.noticed))):
        days[status].append(max(0.0, float(elapsed)))

    total = sum(urgencies.values())
    links = _links(prefix, "sheets.total")
    urgency_order = [*URGENCIES, *sorted(u for u in urgencies if u not in URGENCIES)]
    by_urgency = Table("sheets_by_urgency", "把握シート（緊急度別）", "緊急度", (Column("sheets", "件数"),), (
        *(Row(u, (urgencies.get(u, 0),), key=u) for u in urgency_order),
        Row(TOTAL, (total,), key="total", total=True, links=links)))
    status_order = [*SHEET_STATUSES, *sorted(x for x in statuses if x not in SHEET_STATUSES)]
    by_status = Table("sheets_by_status", "把握シート（状況別・期間末時点）", "状況", (Column("sheets", "件数"),), (
        *(Row(x, (statuses.get(x, 0),), key=x) for x in status_order),
        Row(TOTAL, (sum(statuses.values()),), key="total", total=True, links=links)),
        note="この期間に受け付けたシートの、期間の終わり（期間中は今日）の時点の状況です。")
    order = [*concern_order, *sorted(c for c in concerns if c not in concern_order)]
    by_concern = Table("sheets_by_concern", "把握シート（困りごと別）", "困りごと",
                       (Column("sheets", "件数", additive=False),),
                       tuple(Row(c, (concerns.get(c, 0),), key=c) for c in order),
                       note="1枚のシートに困りごとを複数選べるため、件数を足しても受付件数にはなりません。")

    def measures(values: list[float]) -> tuple:
        if not values:
            return (0, None, None)
        return (len(values), round(statistics.median(values), 1), round(statistics.fmean(values), 1))

    sheet_days = Table("sheet_days", "つなぐ・終結までの日数", "状況", (
        Column("sheets", "件数", additive=False),
        Column("median_days", "中央値（日）", additive=False, measure_of=0),
        Column("mean_days", "平均（日）", additive=False, measure_of=0),
    ), (Row("つないだ", measures(days["つないだ"]), key="つないだ"), Row("終結", measures(days["終結"]), key="終結")),
        note="この期間に初めて「つないだ」「終結」になったシートの、気づいた日からの日数です。")
    return [by_concern, by_urgency, by_status, sheet_days], {"sheets": total}


def _referral_table(s, scope: _Scope, period: Period, prefix: str):
    sheet_household = sa.select(ConcernSheet.household_id).where(ConcernSheet.id == Referral.sheet_id) \
        .scalar_subquery()
    household_id = sa.func.coalesce(Referral.household_id, sheet_household)
    district = sa.select(Household.district_id).where(Household.id == household_id).scalar_subquery()
    rows = s.execute(
        sa.select(Referral.agency_id, Agency.name, Agency.kana, Referral.outcome, sa.func.count())
        .join(Agency, Agency.id == Referral.agency_id)
        .where(Referral.deleted_at.is_(None), Referral.referred_on >= period.start, Referral.referred_on < period.end,
               _in_scope(scope, district))
        .group_by(Referral.agency_id, Referral.outcome)).all()
    outcomes = [*REFERRAL_OUTCOMES, *sorted({r.outcome for r in rows} - set(REFERRAL_OUTCOMES))]
    agencies: dict[str, dict] = {}
    for agency_id, name, kana, outcome, count in rows:
        entry = agencies.setdefault(agency_id, {"name": name, "kana": kana or "", "counts": defaultdict(int)})
        entry["counts"][outcome] += count
    body = []
    for agency_id, entry in sorted(agencies.items(), key=lambda kv: (kv[1]["kana"], kv[1]["name"])):
        counts = [entry["counts"].get(o, 0) for o in outcomes]
        body.append(Row(entry["name"], (*counts, sum(counts)), key=agency_id))
    width = len(outcomes) + 1
    total = _total([r.values for r in body], width)
    links = ("",) * len(outcomes) + _links(prefix, "referrals.total")
    columns = (*(Column(f"outcome:{o}", o) for o in outcomes), Column("total", TOTAL))
    table = Table("referrals", "つなぎ（関係機関別・結果別）", "関係機関", columns,
                  (*body, Row(TOTAL, total, key="total", total=True, links=links)),
                  note="この期間につないだ件数を、記録されている結果別に数えています。",
                  row_total=(len(outcomes), tuple(range(len(outcomes)))))
    return [table], {"referrals": total[-1]}


def _conference_table(s, scope: _Scope, period: Period, prefix: str):
    live_case = sa.and_(ConferenceCase.deleted_at.is_(None), ConferenceCase.conference_id == Conference.id)
    held = sa.and_(Conference.deleted_at.is_(None), Conference.held_on >= period.start, Conference.held_on < period.end)
    case_in_scope = sa.select(1).select_from(ConferenceCase).join(Household, Household.id == ConferenceCase.household_id) \
        .where(live_case, _in_scope(scope, Household.district_id))
    cases = (sa.select(sa.func.count()).select_from(ConferenceCase)
             .join(Household, Household.id == ConferenceCase.household_id)
             .where(live_case, _in_scope(scope, Household.district_id)).correlate(Conference).scalar_subquery())
    q = sa.select(Conference.meeting_type, sa.func.count(), sa.func.coalesce(sa.func.sum(cases), 0)).where(held)
    if scope.allowed is not None:
        q = q.where(case_in_scope.exists())
    counts = {t: (n, c) for t, n, c in s.execute(q.group_by(Conference.meeting_type)).all()}
    order = [*CONFERENCE_TYPES, *sorted(t for t in counts if t not in CONFERENCE_TYPES)]
    body = [Row(CONFERENCE_TYPES.get(t, t), tuple(counts.get(t, (0, 0))), key=t) for t in order]
    total = _total([r.values for r in body], 2)
    table = Table("conferences", "会議（種類別）", "種類", (
        Column("conferences", "開催回数", personal=False),
        Column("cases", "検討した世帯（延べ）"),
    ), (*body, Row(TOTAL, total, key="total", total=True, links=_links(prefix, "conferences.total",
                                                                         "conferences.cases"))))
    return [table], {"conferences": total[0], "conference_cases": total[1]}


def _case_tables(s, scope: _Scope, period: Period, until: date, prefix: str):
    """支援ケース by district: opened, open at the end, closed; days to closure (as 把握シート's, one
    row); monitoring
    (goals reviewed and achieved, records on time and late); 地域課題 raised."""
    end = min(period.end, date.fromordinal(until.toordinal() + 1))
    district = Household.district_id
    live = sa.and_(SupportCase.deleted_at.is_(None), _in_scope(scope, district))
    per_bucket: dict[str, list] = defaultdict(lambda: [0, 0, 0])
    days: list[float] = []

    def bucket(district_id) -> str:
        return scope.buckets.get(district_id, "") if district_id else ""

    for district_id, n in s.execute(
            sa.select(district, sa.func.count()).select_from(SupportCase)
            .join(Household, Household.id == SupportCase.household_id)
            .where(live, SupportCase.opened_on >= period.start, SupportCase.opened_on < end)
            .group_by(district)):
        per_bucket[bucket(district_id)][0] += n
    # open at the end: the last status change before it is not 終結
    ranked = (sa.select(SupportCase.id.label("case_id"), district.label("district"), CaseStatusChange.status,
                        sa.func.row_number().over(
                            partition_by=CaseStatusChange.case_id,
                            order_by=(CaseStatusChange.changed_on.desc(), CaseStatusChange.created_at.desc()))
                        .label("rank"))
              .select_from(CaseStatusChange)
              .join(SupportCase, SupportCase.id == CaseStatusChange.case_id)
              .join(Household, Household.id == SupportCase.household_id)
              .where(live, CaseStatusChange.deleted_at.is_(None), CaseStatusChange.changed_on < end,
                     SupportCase.opened_on < end)).subquery()
    for district_id, n in s.execute(sa.select(ranked.c.district, sa.func.count())
                                    .where(ranked.c.rank == 1, ranked.c.status != CASE_CLOSED)
                                    .group_by(ranked.c.district)):
        per_bucket[bucket(district_id)][1] += n
    # closed in the period: each case once, at its last closure in it
    closures = s.execute(
        sa.select(district, SupportCase.opened_on, sa.func.max(CaseStatusChange.changed_on))
        .select_from(CaseStatusChange)
        .join(SupportCase, SupportCase.id == CaseStatusChange.case_id)
        .join(Household, Household.id == SupportCase.household_id)
        .where(live, CaseStatusChange.deleted_at.is_(None), CaseStatusChange.status == CASE_CLOSED,
               CaseStatusChange.changed_on >= period.start, CaseStatusChange.changed_on < end)
        .group_by(CaseStatusChange.case_id)).all()
    for district_id, opened_on, closed_on in closures:
        per_bucket[bucket(district_id)][2] += 1
        days.append(float(max(0, (closed_on - opened_on).days)))

    rows = _district_rows(scope, {k: tuple(v) for k, v in per_bucket.items()}, 3)
    rows.append(Row(TOTAL, _total([r.values for r in rows], 3), key="total", total=True,
                    links=_links(prefix, "cases.opened", "cases.open", "cases.closed")))
    cases_table = Table("cases_by_district", "地区別の支援ケース", "地区", (
        Column("opened", "受付"),
        Column("open_at_end", "期間末に継続中"),
        Column("closed", "終結"),
    ), tuple(rows), note="受付：この期間に開いたケース。期間末に継続中：期間の終わり（期間中は今日）に終結していない"
                         "ケース。終結：この期間に終結したケース（再開して再び終結したケースは1件）です。")
    measured = (len(days), round(statistics.median(days), 1), round(statistics.fmean(days), 1)) if days \
        else (0, None, None)
    # the count is the district table's 終結 total: one quantity, hidden in both or neither
    case_days = Table("case_days", "ケースの終結までの日数", "状況", (
        Column("cases", "件数", additive=False),
        Column("median_days", "中央値（日）", additive=False, measure_of=0),
        Column("mean_days", "平均（日）", additive=False, measure_of=0),
    ), (Row("終結", measured, key="終結", links=_links(prefix, "cases.closed")),),
        note="この期間に終結したケースの、受付日から終結日までの日数です。")

    # monitoring: every record before the end of the goals reviewed in the period, in date order
    reviewed = (sa.select(Monitoring.goal_id).where(Monitoring.deleted_at.is_(None),
                                                     Monitoring.monitored_on >= period.start,
                                                     Monitoring.monitored_on < end))
    checks = s.execute(
        sa.select(PlanGoal.id, PlanGoal.review_on, district, Monitoring.monitored_on, Monitoring.progress,
                  Monitoring.next_review_on)
        .select_from(Monitoring)
        .join(PlanGoal, PlanGoal.id == Monitoring.goal_id)
        .join(SupportCase, SupportCase.id == PlanGoal.case_id)
        .join(Household, Household.id == PlanGoal.household_id)
        .where(live, PlanGoal.deleted_at.is_(None), Monitoring.deleted_at.is_(None), Monitoring.monitored_on < end,
               PlanGoal.id.in_(reviewed))
        .order_by(PlanGoal.id, Monitoring.monitored_on, Monitoring.created_at)).all()
    review_bucket: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    standing: dict[str, date | None] = {}
    counted: dict[str, set] = defaultdict(set)
    for goal_id, review_on, district_id, monitored_on, progress, next_review_on in checks:
        due = standing.get(goal_id, review_on)
        if period.start <= monitored_on:
            row = review_bucket[bucket(district_id)]
            if goal_id not in counted["reviewed"]:
                counted["reviewed"].add(goal_id)
                row[0] += 1
            if progress == "achieved" and goal_id not in counted["achieved"]:
                counted["achieved"].add(goal_id)
                row[1] += 1
            row[2] += 1
            row[3 if due is None or monitored_on <= due else 4] += 1
        if progress in GOAL_ENDED:
            standing[goal_id] = None
        elif next_review_on is not None:
            standing[goal_id] = next_review_on
        else:
            standing[goal_id] = due
    rrows = _district_rows(scope, {k: tuple(v) for k, v in review_bucket.items()}, 5)
    rrows.append(Row(TOTAL, _total([r.values for r in rrows], 5), key="total", total=True,
                     links=_links(prefix, "goals.reviewed", "goals.achieved", "reviews.total", "reviews.on_time",
                                  "reviews.late")))
    reviews_table = Table("case_reviews_by_district", "地区別のモニタリング（目標の見直し）", "地区", (
        Column("goals_reviewed", "見直した目標"),
        Column("goals_achieved", "うち達成"),
        Column("reviews", "モニタリング件数"),
        Column("on_time", "うち期限内"),
        Column("late", "うち期限後"),
    ), tuple(rrows), note="期限内：その目標の見直し日（前回のモニタリングで決めた次の見直し日）までに行ったモニタリング。"
                          "うち達成：この期間のモニタリングで「達成」となった目標です。", row_total=(2, (3, 4)))

    issues = s.execute(
        sa.select(CommunityIssue.title, CommunityIssue.district_id, CommunityIssue.raised_on)
        .where(CommunityIssue.deleted_at.is_(None), CommunityIssue.raised_on >= period.start,
               CommunityIssue.raised_on < end, _in_scope(scope, CommunityIssue.district_id))
        .order_by(CommunityIssue.raised_on, CommunityIssue.title)).all()
    issue_bucket: dict[str, list[int]] = defaultdict(lambda: [0])
    for _, district_id, _ in issues:
        issue_bucket[bucket(district_id)][0] += 1
    irows = _district_rows(scope, {k: tuple(v) for k, v in issue_bucket.items()}, 1)
    irows.append(Row(TOTAL, _total([r.values for r in irows], 1), key="total", total=True))
    note = "ケースの終結時などに地域課題の一覧へ加えた件数です（世帯を名指ししない記録のため、件数は伏せません）。"
    if period.kind == "fiscal_year" and issues:
        note += "この年度に取り上げた地域課題：" + "、".join(title for title, _, _ in issues) + "。"
    issues_table = Table("community_issues", "地区別の地域課題", "地区",
                         (Column("issues", "取り上げた地域課題", personal=False),), tuple(irows), note=note)
    return [cases_table, case_days, reviews_table, issues_table], {}


SUMMARY_ROWS = (
    ("contacts", "訪問記録の延べ件数", True, "contacts.total"),
    ("failed", "うち不在", True, "contacts.failed"),
    ("place", "うち地域の拠点での連絡", True, "contacts.place"),
    ("households", "訪問記録のある世帯（実数）", True, "households.reached"),
    ("new_households", "うち初めての世帯", True, "households.new"),
    ("sessions", "サロンの開催回数", False, "salon.sessions"),
    ("attendances", "サロンの延べ参加者数", True, "salon.attendances"),
    ("persons", "サロンの実参加者数", True, "salon.persons"),
    ("sheets", "把握シートの受付件数", True, "sheets.total"),
    ("referrals", "つなぎの件数", True, "referrals.total"),
    ("conferences", "会議の開催回数", False, "conferences.total"),
    ("conference_cases", "会議で検討した世帯（延べ）", True, "conferences.cases"),
    ("ties", "支え合いの関係（期間末）", True, "ties.live"),
    ("supporters", "担い手の登録数（期間末）", True, "supporters.total"),
    ("activities", "地域活動の回数", False, "activities.total"),
)


def _summary(current: dict, previous: dict, period: Period, before: Period, previous_prefix: str) -> Table:
    rows = []
    for key, label, personal, link in SUMMARY_ROWS:
        now, then = current[key], previous[key]
        rows.append(Row(label, (now, then, now - then), key=key, personal=personal,
                        links=(link, f"{previous_prefix}{link}", "")))
    word = "前年同月" if period.kind == "month" else "前年度"
    return Table("summary", f"概要（{word}との比較）", "項目", (
        Column("current", period.label, additive=False),
        Column("previous", before.label, additive=False),
        Column("change", "増減", additive=False, difference_of=(0, 1)),
    ), tuple(rows))


def _compute(s, scope: _Scope, period: Period, concern_order: list[str], until: date, prefix: str):
    from shakyo_desk.store.services.stats_community import community_tables

    tables, summary = [], {}
    for part in (_contact_tables(s, scope, period, concern_order, prefix),
                 _salon_tables(s, scope, period, prefix),
                 _sheet_tables(s, scope, period, concern_order, until, prefix),
                 _referral_table(s, scope, period, prefix),
                 _conference_table(s, scope, period, prefix),
                 _case_tables(s, scope, period, until, prefix),
                 community_tables(s, scope, period, until, prefix)):
        tables += part[0]
        summary.update(part[1])
    return tables, summary


PREVIOUS = "previous:"


def compute_figures(store: Store, period: Period, *, district_id: str | None = None,
                    today: date | None = None) -> Figures:
    """The figures of ``period`` (and of the same period a year earlier), for the whole
    council or ``district_id`` with its 行政区/集落, limited to what the account may see."""
    today = today or clock.today()
    if period.start > today:
        raise InvalidInput(NOT_STARTED.format(label=period.label))
    scope = _scope(store, district_id)
    settings = get_settings(store)
    before = previous_period(period, settings.fiscal_year_start_month) if period.start.year > EARLIEST_YEAR \
        else period
    with store.read() as s:
        concern_order = list(s.execute(sa.select(ConcernCategory.name).where(
            ConcernCategory.deleted_at.is_(None), ConcernCategory.active.is_(True))
            .order_by(ConcernCategory.sort_order, ConcernCategory.name)).scalars())
        tables, summary = _compute(s, scope, period, concern_order, today, "")
        previous_tables, previous_summary = _compute(s, scope, before, concern_order, today, PREVIOUS)
    summary_table = _summary(summary, previous_summary, period, before, PREVIOUS)
    notes = []
    if scope.note:
        notes.append(scope.note)
    until = min(period.last_day, today)
    if period.end > today:
        notes.append(f"期間の途中のため、{format_wareki(today)}までの記録で集計しています。")
    figures = Figures(
        council=settings.name, period=period, previous_period=before, district_id=district_id,
        district=scope.label, scope_note=scope.note, threshold=settings.stats_suppression_threshold,
        raw_allowed=sees_all_households(store.actor.role), tables=(summary_table, *tables),
        previous_tables=tuple(previous_tables), notes=tuple(notes), generated_at=clock.now(),
        computed_until=until, fiscal_year_start_month=settings.fiscal_year_start_month)
    if figures.is_empty:
        figures = replace(figures, notes=(*figures.notes, NO_DATA_NOTE))
    return figures


def fiscal_years_with_records(store: Store, today: date | None = None) -> list[int]:
    """The 年度 from the first recorded contact, salon session, sheet, conference, case or 地域活動 up to the
    running one, newest first (for a period picker). Just the running 年度 in a new store."""
    require(store.actor.role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF))
    today = today or clock.today()
    start_month = get_settings(store).fiscal_year_start_month
    with store.read() as s:
        firsts = [s.execute(sa.select(sa.func.min(column)).where(model.deleted_at.is_(None))).scalar()
                  for model, column in ((Contact, Contact.contact_date), (SalonSession, SalonSession.session_date),
                                        (ConcernSheet, ConcernSheet.noticed_on), (Conference, Conference.held_on),
                                        (SupportCase, SupportCase.opened_on),
                                        (CommunityActivity, CommunityActivity.held_on))]
    current = fiscal_year(today, start_month)
    first = min([fiscal_year(d, start_month) for d in firsts if d is not None and d <= today] or [current])
    return list(range(current, max(first, EARLIEST_YEAR) - 1, -1))


def yearly_figures(store: Store, year: int, *, district_id: str | None = None, today: date | None = None) -> Figures:
    """The 年度 ``year`` (by the council's fiscal-year start)."""
    return compute_figures(store, council_fiscal_year(store, year), district_id=district_id, today=today)


def monthly_figures(store: Store, year: int, month: int, *, district_id: str | None = None,
                    today: date | None = None) -> Figures:
    start_month = get_settings(store).fiscal_year_start_month
    return compute_figures(store, month_period(year, month, start_month), district_id=district_id, today=today)
