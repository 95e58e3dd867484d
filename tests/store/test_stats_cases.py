"""Statistics of case work (issue 18): cases opened, open at the period's end, closed with the
days from opening to closure; goals reviewed and achieved, monitoring on time and late; the
地域課題 raised — by district, with small counts hidden in what is exported exactly as the
other figures are (reports/stats_suppress.py). A hand-made set with known answers, pinned dates."""

from datetime import date

import pytest

from shakyo_desk.reports.stats_render import render, text_lines
from shakyo_desk.store.services import case_plans, cases, community_issues, districts, households, stats
from shakyo_desk.store.services.case_plans import ActionDraft
from tests.store.conftest import login_as

D = date.fromisoformat
TODAY = D("2026-01-15")


@pytest.fixture(autouse=True)
def _on_today(pin_today):
    pin_today(TODAY)


def values(table, column=None):
    index = None if column is None else next(i for i, c in enumerate(table.columns) if c.key == column)
    return {r.label: (r.values if index is None else r.values[index]) for r in table.rows}


def rendered_values(table):
    return {r.label: r.cells for r in table.rows}


def open_case(store, household, day):
    return cases.open_case(store, household, opened_on=D(day), today=D(day))


def goal(store, case, day, review):
    return case_plans.add_goal(store, case, "週1回の買い物ができる", D(review), today=D(day),
                               actions=[ActionDraft("resident", "隣の田中さん", "買い物の送迎")])


def monitor(store, case, goal_id, day, progress, next_review=None):
    case_plans.record_monitoring(store, case, goal_id, D(day), progress,
                                 next_review_on=D(next_review) if next_review else None, today=D(day))


def close(store, case, day, issue=""):
    cases.close_case(store, case, "目標を達成した", "買い物に行けるようになった", community_issue=issue,
                     closed_on=D(day), today=D(day))


@pytest.fixture
def data(store):
    north = districts.add_district(store, "北地区", "きた")
    kamimura = districts.add_district(store, "上村", "かみむら", parent_id=north)
    south = districts.add_district(store, "南地区", "みなみ")
    hh = {key: households.add_household(store, district, name, kana) for key, district, name, kana in (
        ("A", kamimura, "青木 あい", "アオキ アイ"), ("B", kamimura, "伊藤 いち", "イトウ イチ"),
        ("C", south, "上田 うめ", "ウエダ ウメ"), ("D", south, "江口 えい", "エグチ エイ"),
        ("E", south, "大野 おと", "オオノ オト"), ("F", south, "加藤 かな", "カトウ カナ"))}
    # A: opened, one review on time, one late (after the next review set by the first), closed
    a = open_case(store, hh["A"], "2024-04-10")
    g1 = goal(store, a, "2024-04-10", "2024-05-01")
    monitor(store, a, g1, "2024-04-30", "partly", "2024-06-01")  # on time (due 5/1)
    monitor(store, a, g1, "2024-06-10", "achieved")  # late (due 6/1)
    close(store, a, "2024-06-20", issue="移動手段がない")  # 71 days
    # B: reviewed on the very review day (on time), still open
    b = open_case(store, hh["B"], "2024-05-01")
    g2 = goal(store, b, "2024-05-01", "2024-07-01")
    monitor(store, b, g2, "2024-07-01", "not-yet", "2024-09-01")
    # C: opened the 年度 before, closed in this one (61 days)
    c = open_case(store, hh["C"], "2024-03-01")
    close(store, c, "2024-05-01")
    # D: closed (91 days) and reopened: open at the end, its closure still counted
    d = open_case(store, hh["D"], "2024-06-01")
    close(store, d, "2024-08-31")
    cases.reopen_case(store, d, "転居先でまた困っている", today=D("2024-09-10"))
    # E: opened on the 年度's last day; F on the next 年度's first
    open_case(store, hh["E"], "2025-03-31")
    open_case(store, hh["F"], "2025-04-01")
    community_issues.add_issue(store, "冬の除雪の担い手がいない", district_id=south, today=D("2024-12-01"))
    community_issues.add_issue(store, "買い物できる店がない", district_id=south, today=D("2025-04-02"))
    return {"north": north, "south": south, "kamimura": kamimura, "cases": {"A": a, "B": b, "C": c, "D": d}}


@pytest.fixture
def fy2024(store, data):
    return stats.yearly_figures(store, 2024, today=TODAY)


def test_cases_opened_open_at_the_end_and_closed_by_district(fy2024):
    table = fy2024.table("cases_by_district")
    assert table.headers == ("地区", "受付", "期間末に継続中", "終結")
    got = values(table)
    assert got["北地区"] == (2, 1, 1)  # A and B opened; B open; A closed
    assert got["南地区"] == (2, 2, 2)  # D and E opened (C the year before); C and D closed, D reopened
    assert got["計"] == (4, 3, 3)
    assert "地区なし" not in got  # no case without a district: the optional row is left out
    # days from opening to closure: A 71, C 61, D 91
    days = fy2024.table("case_days")
    assert values(days)["終結"] == (3, 71.0, 74.3)
    assert days.rows[0].link(0) == table.total_row.link(2)  # one quantity: hidden in both or neither


def test_monitoring_on_time_and_late_and_goals_achieved(fy2024):
    table = fy2024.table("case_reviews_by_district")
    got = values(table)
    # goals reviewed, of them achieved, records, on time, late
    assert got["北地区"] == (2, 1, 3, 2, 1)
    assert got["南地区"] == (0, 0, 0, 0, 0)
    assert got["計"] == (2, 1, 3, 2, 1)
    assert table.row_total == (2, (3, 4))  # on time + late = records: suppression knows the sum


def test_community_issues_raised_with_their_titles_in_the_yearly_figures(store, data, fy2024):
    table = fy2024.table("community_issues")
    assert values(table, "issues") == {"北地区": 1, "南地区": 1, "計": 2}  # the next 年度's issue is not counted
    assert "移動手段がない" in table.note and "冬の除雪の担い手がいない" in table.note
    assert "買い物できる店がない" not in table.note
    june = stats.monthly_figures(store, 2024, 6, today=TODAY)
    assert values(june.table("community_issues"), "issues")["計"] == 1
    assert "移動手段がない" not in june.table("community_issues").note  # titles only in the yearly figures


def test_a_month_and_the_next_year(store, data):
    june = stats.monthly_figures(store, 2024, 6, today=TODAY)
    got = values(june.table("cases_by_district"))
    assert got["北地区"] == (0, 1, 1)  # A closed on 6/20; B open at the end of June
    assert got["南地区"] == (1, 1, 0)  # D opened 6/1
    assert values(june.table("case_days"))["終結"] == (1, 71.0, 71.0)
    assert values(stats.monthly_figures(store, 2024, 7, today=TODAY).table("case_days"))["終結"] == (0, None, None)
    fy2025 = stats.yearly_figures(store, 2025, today=TODAY)
    assert values(fy2025.table("cases_by_district"))["計"] == (1, 4, 0)  # F; B, D, E, F still open
    # the running 年度 is counted up to today, and the year before compared
    assert values(fy2025.previous_table("cases_by_district"))["計"] == (4, 3, 3)


def test_small_counts_are_hidden_as_in_the_other_tables(fy2024):
    exported = render(fy2024)
    cases_table = rendered_values(exported.table("cases_by_district"))
    assert cases_table["北地区"][2] == "<3" and cases_table["南地区"] == ("<3", "<3", "<3")
    reviews = rendered_values(exported.table("case_reviews_by_district"))
    assert reviews["北地区"][1] == "<3" and reviews["南地区"] == (0, 0, 0, 0, 0)  # zero names nobody
    # the 地域課題 register names no household: its counts are never hidden
    assert rendered_values(exported.table("community_issues"))["計"] == (2,)
    raw = render(fy2024, raw=True)
    assert rendered_values(raw.table("cases_by_district"))["北地区"] == (2, 1, 1)
    text = "\n".join(text_lines(exported))
    assert "■ 地区別の支援ケース" in text and "■ 地区別のモニタリング（目標の見直し）" in text
    # three closures in all: their median and mean are shown
    assert rendered_values(exported.table("case_days"))["終結"] == (3, 71.0, 74.3)
    assert "■ ケースの終結までの日数" in text


def test_the_days_of_one_or_two_closures_are_hidden(store, data):
    june = stats.monthly_figures(store, 2024, 6, today=TODAY)  # only A closed: 71 days
    assert rendered_values(render(june).table("case_days"))["終結"] == ("<3", "秘匿", "秘匿")
    assert rendered_values(render(june, raw=True).table("case_days"))["終結"] == (1, 71.0, 71.0)


def test_staff_see_only_their_districts(store, data):
    staff = login_as(store, "staff-south", role="staff", district_ids=[data["south"]])
    try:
        figures = stats.yearly_figures(staff, 2024, today=TODAY)
    finally:
        staff.close()
    got = values(figures.table("cases_by_district"))
    assert set(got) == {"南地区", "計"} and got["計"] == (2, 2, 2)
    assert values(figures.table("case_days"))["終結"] == (2, 76.0, 76.0)  # C and D
    assert values(figures.table("community_issues"), "issues") == {"南地区": 1, "計": 1}
    assert "移動手段がない" not in figures.table("community_issues").note


def test_a_chart_of_cases_opened_by_district(fy2024):
    from shakyo_desk.reports.stats_chart_data import chart_specs

    raw = {s.key: s for s in chart_specs(render(fy2024, raw=True))}["cases_by_district"]
    assert raw.title == "支援ケースの受付（地区別・前年度との比較）" and raw.labels == ("北地区", "南地区")
    assert [s.values for s in raw.series] == [(2, 2), (0, 1)]  # this 年度; the year before C opened in 南地区
    exported = {s.key: s for s in chart_specs(render(fy2024))}["cases_by_district"]
    assert exported.series[0].values == (None, None)  # small counts are left out of an exported chart
