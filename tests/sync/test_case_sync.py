"""Issue 18: support cases travel between installations; a plan's 支援方針 edited on two
devices becomes a side-by-side (text) conflict; a district laptop gets only its districts' cases."""

from datetime import timedelta

from shakyo_desk.domain import clock
from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange import conflicts
from shakyo_desk.store.services import agencies, case_plans, case_views, cases, districts, households
from shakyo_desk.store.services.case_plans import ActionDraft
from tests.sync.council import carry, enrol, office_with_laptop


def _case(office, household):
    today = clock.today()
    agencies.add_agency(office, "架空村地域包括支援センター")
    case = cases.open_case(office, household)
    case_plans.add_assessment(office, case, "架空 上子", organisation="本人", wish="家で暮らしたい")
    goal = case_plans.add_goal(office, case, "通院が続けられる", today + timedelta(days=30),
                               actions=[ActionDraft("agency", "架空村地域包括支援センター", "通院の同行")])
    case_plans.set_policy(office, case, "第1版の方針")
    case_plans.record_monitoring(office, case, goal, today, "partly", next_review_on=today + timedelta(days=14))
    return case, goal


def test_a_case_reaches_the_laptop_and_its_monitoring_comes_back(tmp_path):
    with office_with_laptop(tmp_path) as (office, laptop, household):
        case, goal = _case(office, household)
        carry(office, laptop, tmp_path / "out")
        there = case_views.get_case(laptop, case, log=False)
        assert there.summary.status == "モニタリング" and there.plans[0].goals[0].actions[0].who == "架空村地域包括支援センター"
        case_plans.record_monitoring(laptop, case, goal, clock.today(), "achieved", note="ラップトップで記録")
        _, report = carry(laptop, office, tmp_path / "back")
        assert report.refused == []
        [goal_here] = case_views.get_case(office, case, log=False).plans[0].goals
        assert [c.note for c in goal_here.monitoring][-1] == "ラップトップで記録"
        assert check_store(office).sound and check_store(laptop).sound


def test_a_plan_edited_on_both_sides_is_a_text_conflict(tmp_path):
    with office_with_laptop(tmp_path) as (office, laptop, household):
        case, _ = _case(office, household)
        carry(office, laptop, tmp_path / "out")
        case_plans.set_policy(office, case, "事務局で書き直した方針")
        case_plans.set_policy(laptop, case, "訪問先で書き直した方針")
        carry(laptop, office, tmp_path / "a")
        carry(office, laptop, tmp_path / "b")
        for store in (office, laptop):
            [conflict] = conflicts.list_conflicts(store)
            assert conflict.field == "policy" and conflict.kind == "text" and conflict.household_id == household
            assert sorted(c.value for c in conflict.choices) == ["事務局で書き直した方針", "訪問先で書き直した方針"]


def test_a_district_laptop_gets_only_its_districts_cases(tmp_path):
    with office_with_laptop(tmp_path) as (office, laptop, household):
        lower = districts.add_district(office, "下町")
        elsewhere = households.add_household(office, lower, "架空 下子")
        case, _ = _case(office, household)
        other = cases.open_case(office, elsewhere)
        scoped = enrol(office, tmp_path, "upper-laptop", districts=["上町"])
        try:
            # the enrolment file carries the scope's records as they are now
            ids = {c.id for c in case_views.list_cases(scoped)}
            assert case in ids and other not in ids
            assert check_store(scoped).sound
        finally:
            scoped.close()
