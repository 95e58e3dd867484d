"""The household timeline shows a case's steps (issue 18): opened, status moves, plan versions,
monitoring, closure with its evaluation, reopening; each with who recorded it."""

from datetime import timedelta

from shakyo_desk.domain import clock
from shakyo_desk.store.services import case_plans, cases, districts, households, timeline


def test_case_steps_in_the_household_timeline(store, pin_today):
    day = clock.today()
    district = districts.add_district(store, "上町")
    household = households.add_household(store, district, "山田 ハル", "ヤマダ ハル")
    case = cases.open_case(store, household, opened_on=day - timedelta(days=10), today=day)
    case_plans.add_assessment(store, case, "山田 ハル", problem="買い物に行けない", today=day)
    goal = case_plans.add_goal(store, case, "週1回買い物に行ける", day + timedelta(days=30), today=day)
    case_plans.set_policy(store, case, "近所の支え手と見守る", today=day)
    pin_today(day + timedelta(days=3))
    later = clock.today()
    case_plans.record_monitoring(store, case, goal, later, "partly", note="2回行けた",
                                 next_review_on=later + timedelta(days=30))
    case_plans.revise_plan(store, case)
    cases.close_case(store, case, "目標を達成", "買い物に行けるようになった", worked="隣の人の送迎")
    pin_today(later + timedelta(days=5))
    cases.reopen_case(store, case, "冬になりまた困っている")

    entries = [e for e in timeline.household_timeline(store, household, {"case"}, log=False)]
    assert {e.kind for e in entries} == {"case"} and all(e.ref_id == case for e in entries)
    titles = [e.title for e in reversed(entries)]  # oldest first
    assert titles[0] == "支援ケースを開始（受付）"
    for title in ("支援ケースの状況：アセスメント", "支援ケースの状況：支援中", "支援プランを作成（第1版）",
                  "モニタリング：週1回買い物に行ける（一部達成）", "支援プランを改訂（第2版）", "支援ケースを終結",
                  "支援ケースを再開（アセスメントから）"):
        assert title in titles, (title, titles)
    assert titles.index("支援ケースを終結") < titles.index("支援ケースを再開（アセスメントから）")
    closed = next(e for e in entries if e.title == "支援ケースを終結")
    assert "理由：目標を達成" in closed.detail and "うまくいったこと：隣の人の送迎" in closed.detail
    check = next(e for e in entries if e.title.startswith("モニタリング"))
    assert check.on == later and "2回行けた" in check.detail and "次の見直し：" in check.detail
    first_plan = next(e for e in entries if e.title == "支援プランを作成（第1版）")
    assert "支援方針：近所の支え手と見守る" in first_plan.detail and "目標：1件" in first_plan.detail
    assert all(e.by for e in entries)  # who recorded it
    # another kind chosen: no case steps
    assert not [e for e in timeline.household_timeline(store, household, {"contact"}, log=False)]
