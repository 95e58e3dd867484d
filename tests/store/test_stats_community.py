"""Statistics of the community side (issue 19): ties live at the end and new, households with
none, 担い手 against the target, 地域活動 by type, 地域課題 with their evidence — figures of a
small store whose answers are worked out by hand; suppressed in exports like the others."""

from datetime import date

import pytest

from shakyo_desk.store.services import (
    activities,
    case_plans,
    cases,
    community_issues,
    districts,
    households,
    stats,
    supporters,
    ties,
)
from shakyo_desk.store.services.missing_resources import list_missing_resources

D = date.fromisoformat
TODAY = D("2025-06-01")  # 令和6年度 (2024-04-01 … 2025-03-31) is over


@pytest.fixture(autouse=True)
def _on_today(pin_today):
    pin_today(TODAY)


@pytest.fixture
def data(store):
    north = districts.add_district(store, "北地区")
    upper = districts.add_district(store, "上村", parent_id=north)
    south = districts.add_district(store, "南地区")
    a = households.add_household(store, upper, "青木 ハル", "アオキ ハル", flags=["一人暮らし高齢者"])
    b = households.add_household(store, upper, "石井 トメ", "イシイ トメ", flags=["高齢者のみ"])
    c = households.add_household(store, south, "上田 キヨ", "ウエダ キヨ", flags=["一人暮らし高齢者"])
    d = households.add_household(store, south, "江口 一郎", "エグチ イチロウ")
    # ties (``today`` is the day each was recorded, its confirmed_on)
    ties.add_tie(store, a, "見守り", supporter_name="隣の方", supporter_kind="住民", since="2023-05-01",
                 today=D("2023-05-01"))  # live at the end, unconfirmed for more than a year
    ties.add_tie(store, a, "買い物", supporter_name="移動販売", supporter_kind="事業所", since="2024-06-01",
                 today=D("2024-06-01"))  # new
    ended = ties.add_tie(store, b, "声かけ", supporter_name="隣の方", supporter_kind="住民", since="2024-05-01",
                         today=D("2024-05-01"))  # new, but ended before the end
    ties.end_tie(store, ended, "2025-01-10", today=D("2025-01-10"))
    ties.add_tie(store, d, "送迎", supporter_name="長女", supporter_kind="親族", since="2024-08-01",
                 today=D("2025-02-01"))  # new
    ties.add_tie(store, c, "話し相手", supporter_name="サロンの方", supporter_kind="サロン", since="2025-05-01",
                 today=D("2025-05-01"))  # after the period
    # 担い手 and targets
    supporters.add_supporter(store, "架空 一", district_id=upper, contact_consent=True, since="2024-05-01")
    supporters.add_supporter(store, "架空 二", district_id=upper, since="2023-01-01")
    supporters.add_supporter(store, "架空 三", district_id=south, contact_consent=True, since="2025-05-01")
    supporters.add_supporter(store, "架空 四", contact_consent=True, since="2024-10-01")
    supporters.set_target(store, 2024, 5, upper)
    supporters.set_target(store, 2024, 2, north)
    supporters.set_target(store, 2024, 10)
    supporters.set_target(store, 2025, 99, upper)  # another 年度
    # 地域課題, a case showing it with a missing resource, and activities
    snow = community_issues.add_issue(store, "冬の雪かき", today=D("2024-09-01"))
    community_issues.add_issue(store, "移動手段がない", today=D("2025-05-01"))  # after the period
    case = cases.open_case(store, a, opened_on="2024-07-01", today=D("2024-07-01"))
    case_plans.add_goal(store, case, "冬も安心して暮らせる", "2024-08-15", missing=["雪かきを頼める人がいない"],
                        today=D("2024-07-20"))
    cases.close_case(store, case, "落ち着いた", "雪かきの手配ができた", community_issue="冬の雪かき",
                     closed_on="2025-02-01", today=D("2025-02-01"))
    [resource] = list_missing_resources(store, case)
    community_issues.link_resource(store, snow, resource.id)
    activities.add_activity(store, "地域懇談会", "2024-10-01", "上村地域懇談会", district_id=upper, participants=20,
                            raised="冬の除雪", issue_ids=[snow], today=D("2024-10-01"))
    activities.add_activity(store, "協議体", "2024-11-01", "第２層協議体", district_id=south, participants=10,
                            today=D("2024-11-01"))
    activities.add_activity(store, "地域懇談会", "2024-12-01", "南地区地域懇談会", district_id=south,
                            today=D("2024-12-01"))
    activities.add_activity(store, "学習会", "2025-04-10", "見守りの学習会", district_id=south, participants=5,
                            issue_ids=[snow], today=D("2025-04-10"))  # after the period
    return {"north": north, "upper": upper, "south": south, "snow": snow}


@pytest.fixture
def fy2024(store, data):
    return stats.yearly_figures(store, 2024, today=TODAY)


def values(table):
    return {r.label: r.values for r in table.rows}


def test_ties_live_at_the_end_new_and_unconfirmed(fy2024):
    assert values(fy2024.table("ties_by_district")) == {
        "北地区": (2, 2, 1, 1),  # live: 見守り and 買い物 (声かけ ended); new: 買い物, 声かけ; one household; 見守り stale
        "南地区": (1, 1, 1, 0),  # 送迎 (話し相手 began after the period)
        "計": (3, 3, 2, 1),
    }
    got = {k: v for k, v in values(fy2024.table("ties_by_kind")).items() if any(v)}
    assert got == {"見守り": (1, 0), "声かけ": (0, 1), "買い物": (1, 1), "送迎": (1, 1), "計": (3, 3)}


def test_households_with_no_tie_at_the_end(fy2024):
    # 石井 (高齢者のみ) lost her only tie in January; 上田's began after the period; 江口 is not flagged
    assert values(fy2024.table("untied_by_district")) == {"北地区": (2, 1), "南地区": (1, 1), "計": (3, 2)}


def test_supporters_against_the_targets_of_the_year(fy2024):
    assert values(fy2024.table("supporters_by_district")) == {
        "北地区": (2, 1, 1, 7),  # 上村's target 5 + 北地区's own 2
        "南地区": (0, 0, 0, None),  # 架空 三 registered after the period; no target
        "地区なし": (1, 1, 1, None),
        "計": (3, 2, 2, 10),  # the council-wide target
    }


def test_activities_by_type_and_the_issues_with_their_evidence(fy2024):
    got = {k: v for k, v in values(fy2024.table("activities_by_type")).items() if any(v)}
    assert got == {"地域懇談会": (2, 20, 1), "協議体": (1, 10, 0), "計": (3, 30, 1)}
    # the 学習会 after the period is not evidence yet; 移動手段がない was raised after the period
    assert values(fy2024.table("community_issue_evidence")) == {"冬の雪かき（把握）": (1, 1, 1)}
    summary = fy2024.table("summary")
    assert summary.value("ties", "current") == 3 and summary.value("supporters", "current") == 3
    assert summary.value("activities", "current") == 3


def test_staff_count_only_their_districts(store, data):
    from tests.store.conftest import login_as

    staff = login_as(store, "south1", "staff", [data["south"]])
    figures = stats.yearly_figures(staff, 2024, today=TODAY)
    assert values(figures.table("ties_by_district")) == {"南地区": (1, 1, 1, 0), "計": (1, 1, 1, 0)}
    assert values(figures.table("supporters_by_district")) == {"南地区": (0, 0, 0, None), "計": (0, 0, 0, None)}
    # the case and the resource are in 北地区: not counted for 南地区's staff
    assert values(figures.table("community_issue_evidence")) == {"冬の雪かき（把握）": (0, 0, 0)}


def test_exports_suppress_the_small_counts(fy2024):
    from shakyo_desk.reports.stats_render import render

    rendered = render(fy2024)
    ties_table = {r.label: r.cells for r in rendered.table("ties_by_district").rows}
    assert ties_table["北地区"][:3] == ("<3", "<3", "<3") and ties_table["南地区"][0] == "<3"
    activities_table = {r.label: r.cells for r in rendered.table("activities_by_type").rows}
    assert activities_table["地域懇談会"][0] == 2  # a count of events is never hidden
    assert activities_table["地域懇談会"][1] == 20 and activities_table["計"] == (3, 30, 1)
    supporters_table = {r.label: r.cells for r in rendered.table("supporters_by_district").rows}
    assert supporters_table["北地区"][0] == "<3" and supporters_table["北地区"][3] == 7  # a target is not a count
    evidence = {r.label: r.cells for r in rendered.table("community_issue_evidence").rows}
    assert evidence["冬の雪かき（把握）"] == ("<3", 1, "<3")


def test_an_old_year_has_no_data(store, data):
    figures = stats.yearly_figures(store, 2010, today=TODAY)
    assert figures.is_empty  # the households' snapshot table alone does not make a year "with data"
