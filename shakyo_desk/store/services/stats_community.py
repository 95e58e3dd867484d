"""The community figures of the statistics (issue 19), as ``stats`` tables: 支え合いの関係,
households with none, 担い手 against the target, 地域活動 and the 地域課題 with their evidence.

Definitions (also in docs/architecture.md, "Statistics"):

- A tie starts on its ``since`` (or, when unknown, the day it was recorded) and holds until its
  ``ended_on``. *Live at the end*: started before the period's end (today while it runs) and not
  ended before it. *New*: started in the period. *Unconfirmed a year*: live at the end and last
  confirmed more than 365 days before it. Its district is its household's.
- Households with no tie: households registered now (not deleted) living alone or elderly-only
  (``vocab.TIE_NEEDED_FLAGS``), against those of them with no tie live at the end. The flags are
  the register's today, so this table is a snapshot, not a record of the period (it alone never
  makes a period "with data").
- 担い手: registered by the end (their ``since``, or the day they were entered), those of the
  period, and those who agreed to be contacted; the target is the council's for the period's
  年度 (a 地区's row: the targets of it and its 集落; the total row: the council-wide target).
  A 担い手 with no district counts in 地区なし (whole council only).
- 地域活動 held in the period by type: how many (events: never suppressed), participants (延べ,
  a count of people: suppressed as the others) and how many raised a 地域課題.
- 地域課題 raised by the end, each with its evidence up to the end: the cases that show it
  (opened by then), the 地域活動 (held by then) and the plans' 不足している社会資源 (of plans made
  by then). Cases and resources are about households (suppressed); activities are events.
  Staff count only the evidence of their districts.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from shakyo_desk.domain.vocab import ACTIVITY_TYPES, TIE_KINDS, TIE_NEEDED_FLAGS
from shakyo_desk.store.models import (
    CommunityActivity,
    CommunityIssue,
    CommunityIssueActivity,
    CommunityIssueCase,
    CommunityIssueResource,
    Household,
    MissingResource,
    SupportCase,
    Supporter,
    SupporterTarget,
    SupportPlan,
    SupportTie,
)
from shakyo_desk.store.services import stats_tables as st

STALE_DAYS = 365
SNAPSHOT_TABLES = frozenset({"untied_by_district"})  # a register snapshot: not "data of the period"
TABLE_KEYS = ("ties_by_district", "ties_by_kind", "untied_by_district", "supporters_by_district",
              "activities_by_type", "community_issue_evidence")


def community_tables(s, scope, period, until: date, prefix: str):
    """(tables, summary values) for ``stats._compute``."""
    end = min(period.end, date.fromordinal(until.toordinal() + 1))
    end_moment = datetime.combine(end, time.min)

    def bucket(district_id) -> str:
        return scope.buckets.get(district_id, "") if district_id else ""

    def rows_with_total(per_bucket: dict, width: int, links: tuple[str, ...] = ()) -> tuple:
        rows = st._district_rows(scope, {k: tuple(v) for k, v in per_bucket.items()}, width)
        rows.append(st.Row(st.TOTAL, st._total([r.values for r in rows], width), key="total", total=True,
                           links=links))
        return tuple(rows)

    # ---- ties
    start_day = sa.func.coalesce(SupportTie.since, SupportTie.confirmed_on)
    ties = s.execute(
        sa.select(Household.district_id, SupportTie.household_id, SupportTie.kind, start_day,
                  SupportTie.confirmed_on, SupportTie.ended_on)
        .join(Household, Household.id == SupportTie.household_id)
        .where(SupportTie.deleted_at.is_(None), Household.deleted_at.is_(None),
               st._in_scope(scope, Household.district_id), start_day < end)).all()
    stale_before = end - timedelta(days=STALE_DAYS)
    tie_bucket: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    tied_households: dict[str, set] = defaultdict(set)
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    live_households: set[str] = set()
    for district_id, household_id, kind, started, confirmed_on, ended_on in ties:
        row = tie_bucket[bucket(district_id)]
        live = ended_on is None or ended_on >= end
        if live:
            row[0] += 1
            by_kind[kind][0] += 1
            tied_households[bucket(district_id)].add(household_id)
            live_households.add(household_id)
            if confirmed_on is not None and confirmed_on < stale_before:
                row[3] += 1
        if started >= period.start:
            row[1] += 1
            by_kind[kind][1] += 1
    for key, households in tied_households.items():
        tie_bucket[key][2] = len(households)
    live_link, new_link = st._links(prefix, "ties.live", "ties.new")
    ties_table = st.Table("ties_by_district", "地区別の支え合いの関係", "地区", (
        st.Column("live", "期間末に続いている関係"),
        st.Column("new", "この期間に始まった関係"),
        st.Column("households", "支えのある世帯（実数）"),
        st.Column("stale", "うち1年以上未確認の関係"),
    ), rows_with_total(tie_bucket, 4, st._links(prefix, "ties.live", "ties.new", "ties.households", "ties.stale")),
        note="期間末：期間の終わり（期間中は今日）。1年以上未確認：期間末に続いていて、最後に確かめた日から365日を超えた関係です。")
    kind_order = [*TIE_KINDS, *sorted(k for k in by_kind if k not in TIE_KINDS)]
    kind_rows = [st.Row(k, tuple(by_kind.get(k, (0, 0))), key=k) for k in kind_order]
    kind_rows.append(st.Row(st.TOTAL, st._total([r.values for r in kind_rows], 2), key="total", total=True,
                            links=(live_link, new_link)))
    kinds_table = st.Table("ties_by_kind", "支え合いの関係（種類別）", "種類", (
        st.Column("live", "期間末に続いている関係"),
        st.Column("new", "この期間に始まった関係"),
    ), tuple(kind_rows))

    # ---- households that should have someone nearby, and have no tie
    each = sa.func.json_each(Household.flags).table_valued("value")
    flagged = sa.exists(sa.select(sa.literal(1)).select_from(each).where(each.c.value.in_(TIE_NEEDED_FLAGS)))
    needy = s.execute(sa.select(Household.id, Household.district_id).where(
        Household.deleted_at.is_(None), flagged, st._in_scope(scope, Household.district_id))).all()
    untied_bucket: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for household_id, district_id in needy:
        row = untied_bucket[bucket(district_id)]
        row[0] += 1
        row[1] += household_id not in live_households
    untied_table = st.Table("untied_by_district", "支え合いの関係がない世帯（地区別）", "地区", (
        st.Column("needy", "一人暮らし・高齢者のみの世帯"),
        st.Column("untied", "うち関係のない世帯"),
    ), rows_with_total(untied_bucket, 2),
        note="世帯の区分は現在の登録内容です。関係のない世帯：期間末に続いている支え合いの関係がひとつもない世帯です。")

    # ---- 担い手 against the target
    registered = sa.func.coalesce(Supporter.since, sa.func.date(Supporter.created_at))
    supporters = s.execute(sa.select(Supporter.district_id, registered, Supporter.contact_consent).where(
        Supporter.deleted_at.is_(None), st._in_scope(scope, Supporter.district_id),
        sa.or_(Supporter.since < end, sa.and_(Supporter.since.is_(None), Supporter.created_at < end_moment)))).all()
    supporter_bucket: dict[str, list] = defaultdict(lambda: [0, 0, 0])
    for district_id, on, consent in supporters:
        row = supporter_bucket[bucket(district_id)]
        row[0] += 1
        row[1] += _day(on) >= period.start
        row[2] += bool(consent)
    targets = s.execute(sa.select(SupporterTarget.district_id, SupporterTarget.target).where(
        SupporterTarget.deleted_at.is_(None), SupporterTarget.fiscal_year == period.fiscal_year)).all()
    target_of: dict[str, int] = defaultdict(int)
    council_target = None
    for district_id, target in targets:
        if district_id is None:
            council_target = target
        elif district_id in scope.buckets:
            target_of[scope.buckets[district_id]] += target
    rows = []
    for row in rows_with_total(supporter_bucket, 3, st._links(prefix, "supporters.total", "supporters.new",
                                                              "supporters.consent")):
        target = (council_target if scope.allowed is None else None) if row.total else target_of.get(row.key)
        rows.append(st.Row(row.label, (*row.values, target), key=row.key, total=row.total,
                           links=(*row.links, "") if row.links else ()))
    supporters_table = st.Table("supporters_by_district", "地区別の担い手（目標との比較）", "地区", (
        st.Column("registered", "登録数（期間末）"),
        st.Column("new", "うちこの期間に登録"),
        st.Column("consent", "うち連絡してよい方"),
        st.Column("target", f"{period.fiscal_year}年度の目標", additive=False, personal=False),
    ), tuple(rows), note="目標：その年度に社協が定めた担い手の目標数（地区の行はその地区と集落の目標の合計、計の行は社協全体の目標）。"
                         "目標が定められていないときは「－」です。")

    # ---- 地域活動 by type
    activities = s.execute(
        sa.select(CommunityActivity.id, CommunityActivity.activity_type, CommunityActivity.participants)
        .where(CommunityActivity.deleted_at.is_(None), CommunityActivity.held_on >= period.start,
               CommunityActivity.held_on < end, st._in_scope(scope, CommunityActivity.district_id))).all()
    raising = set(s.execute(sa.select(CommunityIssueActivity.activity_id).where(
        CommunityIssueActivity.deleted_at.is_(None),
        CommunityIssueActivity.activity_id.in_([a.id for a in activities]))).scalars()) if activities else set()
    by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for activity_id, kind, participants in activities:
        row = by_type[kind]
        row[0] += 1
        row[1] += participants or 0
        row[2] += activity_id in raising
    type_order = [*ACTIVITY_TYPES, *sorted(k for k in by_type if k not in ACTIVITY_TYPES)]
    type_rows = [st.Row(k, tuple(by_type.get(k, (0, 0, 0))), key=k) for k in type_order]
    type_rows.append(st.Row(st.TOTAL, st._total([r.values for r in type_rows], 3), key="total", total=True,
                            links=st._links(prefix, "activities.total", "activities.participants", "")))
    activities_table = st.Table("activities_by_type", "地域活動（種類別）", "種類", (
        st.Column("held", "回数", personal=False),
        st.Column("participants", "参加者（延べ）"),
        st.Column("raised", "地域課題を挙げた回数", personal=False),
    ), tuple(type_rows), note="参加者は記録された人数の合計です（人数を記録していない活動は0人として数えています）。")

    # ---- 地域課題 with their evidence up to the end
    issues = s.execute(sa.select(CommunityIssue.id, CommunityIssue.title, CommunityIssue.status)
                       .where(CommunityIssue.deleted_at.is_(None), CommunityIssue.raised_on < end)
                       .order_by(CommunityIssue.raised_on, CommunityIssue.title)).all()
    cases = dict(s.execute(
        sa.select(CommunityIssueCase.issue_id, sa.func.count(sa.distinct(CommunityIssueCase.case_id)))
        .join(SupportCase, SupportCase.id == CommunityIssueCase.case_id)
        .join(Household, Household.id == CommunityIssueCase.household_id)
        .where(CommunityIssueCase.deleted_at.is_(None), SupportCase.deleted_at.is_(None),
               SupportCase.opened_on < end, st._in_scope(scope, Household.district_id))
        .group_by(CommunityIssueCase.issue_id)).all())
    held = dict(s.execute(
        sa.select(CommunityIssueActivity.issue_id, sa.func.count(sa.distinct(CommunityIssueActivity.activity_id)))
        .join(CommunityActivity, CommunityActivity.id == CommunityIssueActivity.activity_id)
        .where(CommunityIssueActivity.deleted_at.is_(None), CommunityActivity.deleted_at.is_(None),
               CommunityActivity.held_on < end, st._in_scope(scope, CommunityActivity.district_id))
        .group_by(CommunityIssueActivity.issue_id)).all())
    resources = dict(s.execute(
        sa.select(CommunityIssueResource.issue_id, sa.func.count(sa.distinct(CommunityIssueResource.resource_id)))
        .join(MissingResource, MissingResource.id == CommunityIssueResource.resource_id)
        .join(SupportPlan, SupportPlan.id == MissingResource.plan_id)
        .join(Household, Household.id == CommunityIssueResource.household_id)
        .where(CommunityIssueResource.deleted_at.is_(None), MissingResource.deleted_at.is_(None),
               SupportPlan.made_on < end, st._in_scope(scope, Household.district_id))
        .group_by(CommunityIssueResource.issue_id)).all())
    evidence_table = st.Table("community_issue_evidence", "地域課題とその根拠", "地域課題（状況）", (
        st.Column("cases", "ケース", additive=False),
        st.Column("activities", "地域活動", additive=False, personal=False),
        st.Column("resources", "不足している社会資源", additive=False),
    ), tuple(st.Row(f"{title}（{status}）", (cases.get(i, 0), held.get(i, 0), resources.get(i, 0)), key=i)
             for i, title, status in issues),
        note="期間末までに取り上げた地域課題と、それを示すケース（期間末までに受け付けたもの）・地域活動・"
             "支援プランの不足している社会資源の件数です。1件のケースが複数の地域課題を示すことがあります。")

    summary = {"ties": tie_bucket_total(tie_bucket, 0), "supporters": len(supporters),
               "activities": len(activities)}
    return [ties_table, kinds_table, untied_table, supporters_table, activities_table, evidence_table], summary


def tie_bucket_total(per_bucket: dict, index: int) -> int:
    return sum(v[index] for v in per_bucket.values())


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
