"""Issue 18 services: support cases, whole-household assessment, versioned plans, monitoring,
closure with evaluation, the 地域課題 register, sheet assignment."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput, NotFound, PermissionDenied
from shakyo_desk.store.check import check_store
from shakyo_desk.store.models import AuditLog, ChangeLog
from shakyo_desk.store.services import (
    agencies, case_plans, case_views, cases, community_issues, districts, households, retention, sheets,
)
from shakyo_desk.store.services.case_plans import ActionDraft
from tests.store.conftest import login_as


def counts(store):
    with store.read() as s:
        return tuple(s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in (ChangeLog, AuditLog))


@pytest.fixture
def village(store):
    upper = districts.add_district(store, "上町")
    lower = districts.add_district(store, "下町")
    household = households.add_household(store, upper, "山田 ハル", "ヤマダ ハル")
    son = households.add_person(store, household, "山田 一郎", relation="子")
    return {
        "upper": upper, "lower": lower, "household": household, "son": son,
        "other": households.add_household(store, lower, "佐藤 キヨ", "サトウ キヨ"),
        "agency": agencies.add_agency(store, "架空村地域包括支援センター", field="高齢"),
        "sheet": sheets.file_sheet(store, household_id=household, concerns=["介護"], urgency="早め", situation="物忘れ"),
    }


def full_case(store, v):
    today = clock.today()
    case = cases.open_case(store, v["household"], sheet_ids=[v["sheet"]], assignee_id=store.actor.staff_id,
                           lead_agency_id=v["agency"])
    case_plans.add_assessment(store, case, "山田 ハル", organisation="本人", problem="買い物に行けない",
                              strength="近所付き合いがある", wish="家で暮らし続けたい")
    goal = case_plans.add_goal(store, case, "週1回の買い物ができる", today + timedelta(days=30), person_id=None,
                               actions=[ActionDraft("agency", "架空村地域包括支援センター", "介護保険の申請を手伝う",
                                                    today + timedelta(days=14)),
                                        ActionDraft("resident", "隣の田中さん", "買い物の送迎")],
                               missing=["移動販売がない"])
    return case, goal


def test_a_case_from_sheet_to_closure_and_reopening(store, village):
    today = clock.today()
    case, goal = full_case(store, village)
    assert sheets.get_sheet(store, village["sheet"]).status == "対応中"  # the sheet was taken up
    case_plans.set_policy(store, case, "本人の意向を尊重し、地域の支え手と見守る")
    check = case_plans.record_monitoring(store, case, goal, today, "partly", note="2回行けた",
                                         next_review_on=today + timedelta(days=60))
    detail = case_views.get_case(store, case)
    assert detail.summary.status == "モニタリング" and detail.summary.lead_agency == "架空村地域包括支援センター"
    assert [h.status for h in detail.history] == ["受付", "アセスメント", "支援中", "モニタリング"]
    assert detail.sheet_ids == (village["sheet"],)
    [view] = detail.assessment
    assert (view.problem, view.strength, view.wish) == ("買い物に行けない", "近所付き合いがある", "家で暮らし続けたい")
    [plan] = detail.plans
    assert plan.policy.startswith("本人の意向") and plan.missing_resources == ("移動販売がない",)
    [g] = plan.goals
    assert [a.who_kind for a in g.actions] == ["agency", "resident"]
    assert g.monitoring[0].id == check and g.monitoring[0].progress_label == "一部"
    assert detail.summary.next_review_on == today + timedelta(days=60)

    new_plan = case_plans.revise_plan(store, case, policy="第2版")
    plans = case_views.get_case(store, case).plans
    assert [p.version for p in plans] == [1, 2] and plans[1].id == new_plan
    assert plans[0].goals[0].monitoring and not plans[1].goals[0].monitoring  # the earlier version is kept
    assert len(plans[1].goals[0].actions) == 2

    cases.close_case(store, case, "目標を達成した", "週1回買い物に行けるようになった", worked="隣人の送迎",
                     community_issue="移動手段がない")
    closed = case_views.get_case(store, case)
    assert closed.summary.status == "終結" and closed.summary.next_review_on is None
    assert closed.evaluations[0].worked == "隣人の送迎"
    [issue] = community_issues.list_issues(store)
    assert issue.title == "移動手段がない" and issue.case_ids == (case,) and issue.district_id == village["upper"]

    cases.reopen_case(store, case, "転倒して入院した")
    again = case_views.get_case(store, case)
    assert again.summary.status == "アセスメント" and [h.status for h in again.history][-2:] == ["終結", "アセスメント"]
    assert again.evaluations and len(again.plans) == 2  # reopening keeps the history
    assert check_store(store).sound


def test_review_due_lists_open_cases_whose_review_came(store, village, pin_today):
    today = clock.today()
    case, goal = full_case(store, village)
    assert case_views.list_cases(store, review_due=True) == []
    pin_today(today + timedelta(days=30))
    [due] = case_views.list_cases(store, review_due=True)
    assert due.id == case and due.next_review_on == today + timedelta(days=30)
    case_plans.record_monitoring(store, case, goal, clock.today(), "achieved")
    assert case_views.list_cases(store, review_due=True) == []  # an achieved goal is not reviewed again
    assert [c.id for c in case_views.list_cases(store, status="open")] == [case]
    assert case_views.list_cases(store, status="closed") == []


def refused(store, words, action):
    before = counts(store)
    with pytest.raises((InvalidInput, NotFound)) as error:
        action()
    assert words in error.value.message
    assert counts(store) == before
    return error.value.message


def test_bad_input_says_what_to_do_and_changes_nothing(store, village):
    today = clock.today()
    case, goal = full_case(store, village)
    refused(store, "すでに支援ケース", lambda: cases.open_case(store, village["household"], sheet_ids=[village["sheet"]]))
    refused(store, "過去の日付", lambda: case_plans.add_goal(store, case, "目標", today - timedelta(days=1)))
    refused(store, "関係機関の一覧にありません", lambda: case_plans.add_goal(
        store, case, "目標", today, actions=[ActionDraft("agency", "存在しない機関", "何か")]))
    refused(store, "プランを作った日", lambda: case_plans.record_monitoring(
        store, case, goal, today - timedelta(days=3), "partly"))
    refused(store, "過去の日付", lambda: case_plans.record_monitoring(
        store, case, goal, today, "partly", next_review_on=today - timedelta(days=1)))
    refused(store, "別の世帯", lambda: cases.open_case(store, village["other"], sheet_ids=[village["sheet"]]))
    cases.close_case(store, case, "転居", "転居先の社協につないだ")
    refused(store, "再開", lambda: case_plans.add_goal(store, case, "新しい目標", today))
    refused(store, "すでに終結", lambda: cases.close_case(store, case, "重ねて", "重ねて"))
    refused(store, "再開", lambda: case_plans.record_monitoring(store, case, goal, today, "partly"))


def test_who_may_do_what(store, village):
    case, goal = full_case(store, village)
    upper_staff = login_as(store, "upper", "staff", [village["upper"]])
    lower_staff = login_as(store, "lower", "staff", [village["lower"]])
    try:
        with pytest.raises(PermissionDenied):
            cases.open_case(upper_staff, village["household"])
        case_plans.add_assessment(upper_staff, case, "民生委員 架空", organisation="民生委員", strength="毎朝の散歩")
        case_plans.record_monitoring(upper_staff, case, goal, clock.today(), "not-yet")
        with pytest.raises(PermissionDenied):
            cases.close_case(upper_staff, case, "理由", "評価")
        with pytest.raises(PermissionDenied):
            case_views.get_case(lower_staff, case)
        assert case_views.list_cases(lower_staff) == [] and len(case_views.list_cases(upper_staff)) == 1
    finally:
        upper_staff.close()
        lower_staff.close()


def test_sheet_assign_sets_its_assignee(store, village):
    staff = login_as(store, "kato", "staff", [village["upper"]])
    staff_id = staff.actor.staff_id
    try:
        sheets.assign_sheet(store, village["sheet"], staff_id)
        assert sheets.get_sheet(store, village["sheet"]).assignee_id == staff_id
        assert sheets.get_sheet(store, village["sheet"]).status == "受付"  # handing on does not move it
        with pytest.raises(PermissionDenied):
            sheets.assign_sheet(staff, village["sheet"], staff_id)
    finally:
        staff.close()


def test_community_issue_register(store, village):
    issue = community_issues.add_issue(store, "買い物の足がない", district_id=village["upper"])
    refused(store, "すでに登録", lambda: community_issues.add_issue(store, "買い物の足がない"))
    [info] = community_issues.list_issues(store)
    assert info.id == issue and info.district == "上町" and info.case_count == 0


def test_retention_purges_a_households_cases_and_keeps_the_issue(store, village, pin_today):
    today = clock.today()
    case, goal = full_case(store, village)
    case_plans.record_monitoring(store, case, goal, today, "achieved", note="秘密のモニタリング")
    sheets.change_status(store, village["sheet"], "終結")
    assert retention.list_expired(store) == []  # an open case keeps the household
    cases.close_case(store, case, "達成", "評価のメモ", community_issue="移動手段がない")
    pin_today(today + timedelta(days=366 * 6))
    [expired] = retention.list_expired(store)
    assert expired.household_id == village["household"] and ("支援ケース", 1) in expired.kinds
    retention.purge_households(store, [village["household"]])
    assert case_views.list_cases(store) == []
    [issue] = community_issues.list_issues(store)
    assert issue.title == "移動手段がない" and issue.case_count == 0
    with store.read() as s:
        dump = "\n".join(s.connection().exec_driver_sql("SELECT * FROM monitoring").fetchall().__repr__().split())
    assert "秘密のモニタリング" not in dump
    assert check_store(store).sound


def test_a_missing_resource_raised_as_a_community_issue(store, village):
    case, _goal = full_case(store, village)
    [resource] = community_issues.case_resources(store, case)
    assert (resource.text, resource.issues) == ("移動販売がない", ())
    issue = community_issues.raise_from_resource(store, resource.id, "冬の移動手段がない")
    [resource] = community_issues.case_resources(store, case)
    assert resource.issues == ("冬の移動手段がない",)
    [entry] = community_issues.list_issues(store)
    assert (entry.id, entry.district_id, entry.resource_count) == (issue, village["upper"], 1)
    before = counts(store)
    for words, action in (
        ("すでに地域課題「冬の移動手段がない」", lambda: community_issues.raise_from_resource(store, resource.id, "冬の移動手段がない")),
        ("すでに", lambda: community_issues.link_resource(store, issue, resource.id)),
        ("題名", lambda: community_issues.raise_from_resource(store, resource.id, "  ")),
        ("見つかりません", lambda: community_issues.raise_from_resource(store, "nope", "買い物")),
    ):
        with pytest.raises((InvalidInput, NotFound)) as error:
            action()
        assert words in error.value.message
    assert counts(store) == before
    other = community_issues.add_issue(store, "買い物難民")
    community_issues.link_resource(store, other, resource.id)
    assert community_issues.case_resources(store, case)[0].issues == ("冬の移動手段がない", "買い物難民")
    evidence = community_issues.issue_evidence(store, issue)
    assert [(r.text, r.district) for r in evidence.resources] == [("移動販売がない", "上町")]
    assert evidence.cases == () and evidence.activities == ()
    lower = login_as(store, "lower", "staff", [village["lower"]])
    try:
        with pytest.raises(PermissionDenied):
            community_issues.raise_from_resource(lower, resource.id, "ほかの課題")
        hidden = community_issues.issue_evidence(lower, issue)
        assert hidden.resources == () and hidden.hidden_resources == 1
    finally:
        lower.close()
    assert check_store(store).sound


def test_issue_evidence_lists_cases_without_names(store, village):
    case, _goal = full_case(store, village)
    cases.close_case(store, case, "転居", "家族と暮らす", community_issue="冬の移動手段がない")
    [issue] = community_issues.list_issues(store)
    evidence = community_issues.issue_evidence(store, issue.id)
    [shown] = evidence.cases
    assert (shown.id, shown.district, shown.status) == (case, "上町", "終結")
    assert "山田" not in repr(evidence)
