"""The demo village's 支援ケース (issue 18): every stage, written through the services as of the
demo's day, fitting the households they belong to."""

from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from shakyo_desk import demo
from shakyo_desk.demo.cases import fits
from shakyo_desk.demo.generator import make_plan
from shakyo_desk.store import audit
from shakyo_desk.store.check import check_store
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import ChangeLog, ConcernSheet, Staff, SupportCase
from shakyo_desk.store.services import case_views, community_issues
from tests.demo.invariants import case_problems

TODAY = date(2026, 12, 7)


@pytest.fixture(scope="module")
def plan():
    return make_plan("village", today=TODAY)


@pytest.fixture(scope="module")
def village(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo-cases") / "demo"
    store, _ = demo.generate(root, "village", kdf=FAST_KDF, today=TODAY)
    yield store
    store.close()


def test_the_plan_has_cases_at_every_stage_around_today(plan):
    assert case_problems(plan) == []
    assert 12 <= len(plan.support_cases) <= 20
    assert len({c.household for c in plan.support_cases}) == len(plan.support_cases)  # one case per household
    reviews = [c.next_review() for c in plan.support_cases]
    assert sum(d is not None and d < TODAY for d in reviews) >= 1
    assert all(c.next_review() is None for c in plan.support_cases if c.status == "終結")


def test_cases_fit_their_households_and_come_from_their_sheets(plan):
    from_sheets = 0
    for case in plan.support_cases:
        household = plan.households[case.household]
        assert fits(case.scenario, household), (case.scenario, household.kind, household.flags)
        for n in case.sheets:
            sheet = plan.sheets[n]
            assert sheet.household == case.household and sheet.noticed_on <= case.opened_on
            assert sheet.status not in ("受付", "確認中")  # the 受付箱 is left as it is
            from_sheets += 1
        for view in case.views:  # a person speaks for themselves, in their own words
            if view.organisation.startswith("民生委員"):  # speaks of a household not their own
                assert view.participant not in {m.name for m in household.members}
            if view.organisation == "本人":
                assert view.about is not None and household.members[view.about].name == view.participant
                assert view.wish.startswith("「")
        dates = [case.opened_on] + [v.on for v in case.views] + [c.on for g in case.goals for c in g.checks]
        assert all(d <= TODAY for d in dates) and min(dates) == case.opened_on
        if case.closed_on:
            assert case.opened_on <= case.closed_on <= TODAY
    assert from_sheets >= len(plan.support_cases) // 2
    assert all(c.sheets for c in plan.support_cases if c.status == "受付")  # just opened from a 把握シート


@pytest.mark.parametrize("day", [TODAY, date(2027, 4, 1), date(2028, 2, 29)])
@pytest.mark.parametrize("seed", [None, 3])
def test_households_on_an_upcoming_multi_agency_meeting_have_a_plan_to_share(day, seed):
    plan = make_plan("village", seed, today=day)
    on_agenda = {k.household for c in plan.conferences if c.meeting_type == "multi-agency" and c.held_on > day
                 for k in c.cases}
    with_plan = {c.household for c in plan.support_cases if c.goals and c.status != "終結"}
    assert on_agenda and on_agenda <= with_plan


def test_the_plan_is_the_same_for_the_same_day_and_moves_with_it(plan):
    again = make_plan("village", today=TODAY)
    assert [(c.household, c.stage, c.opened_on) for c in again.support_cases] == \
        [(c.household, c.stage, c.opened_on) for c in plan.support_cases]
    later = make_plan("village", today=TODAY + timedelta(days=200))
    assert min(c.opened_on for c in later.support_cases if c.status == "受付") > TODAY


def test_the_store_holds_the_cases_as_the_services_wrote_them(village, plan):
    cases = case_views.list_cases(village, today=TODAY)
    assert Counter(c.status for c in cases) == Counter(c.status for c in plan.support_cases)
    due = case_views.list_cases(village, review_due=True, today=TODAY)
    planned_due = sorted(d for d in (c.next_review() for c in plan.support_cases) if d is not None and d <= TODAY)
    assert [c.next_review_on for c in due] == planned_due
    assert all(c.assignee and c.status for c in cases)


def test_a_case_in_monitoring_shows_views_plan_actions_and_monitoring(village):
    cases = case_views.list_cases(village, status="open", today=TODAY)
    detail = case_views.get_case(village, next(c.id for c in cases if c.status == "モニタリング"), log=False)
    organisations = {v.organisation for v in detail.assessment}
    assert "本人" in organisations and any(o.startswith("民生委員") for o in organisations)
    assert any("地域包括" in o or "居宅介護" in o or "まいさぽ" in o or "子育て" in o or "住民福祉課" in o or "保健" in o
               for o in organisations)
    assert any(v.wish.startswith("「") for v in detail.assessment)  # the person's own words
    [plan] = detail.plans
    assert plan.policy and len(plan.goals) >= 2 and plan.missing_resources
    kinds = {a.who_kind for g in plan.goals for a in g.actions}
    assert "agency" in kinds and kinds & {"resident", "family", "staff"}
    assert any(g.monitoring for g in plan.goals)
    assert [h.status for h in detail.history] == ["受付", "アセスメント", "支援中", "モニタリング"]


def test_closed_and_reopened_cases_keep_their_evaluation_and_raise_community_issues(village):
    cases = case_views.list_cases(village, today=TODAY)
    closed = [case_views.get_case(village, c.id, log=False) for c in cases if c.status == "終結"]
    assert closed and all(d.evaluations and d.evaluations[-1].changes for d in closed)
    reopened = [d for d in (case_views.get_case(village, c.id, log=False) for c in cases if c.status != "終結")
                if len(d.plans) == 2]
    assert len(reopened) == 1
    [d] = reopened
    statuses = [h.status for h in d.history]
    assert "終結" in statuses and statuses[statuses.index("終結") + 1] == "アセスメント" and d.evaluations
    assert d.plans[1].policy != d.plans[0].policy and d.plans[1].goals
    issues = community_issues.list_issues(village)
    assert issues and all(i.title for i in issues)
    assert sum(i.case_count for i in issues) == len(closed) + 1  # the reopened case raised one too


def test_sheets_of_a_case_are_handed_to_its_assignee_and_everything_is_logged(village):
    with village.read() as s:
        rows = s.execute(sa.select(SupportCase.id, SupportCase.assignee_id, ConcernSheet.assignee_id, Staff.role)
                         .join(ConcernSheet, ConcernSheet.household_id == SupportCase.household_id)
                         .join(Staff, Staff.id == SupportCase.assignee_id)
                         .where(ConcernSheet.assignee_id.is_not(None))).all()
        changes = s.execute(sa.select(sa.func.count()).select_from(ChangeLog)
                            .where(ChangeLog.entity == "support_case")).scalar_one()
        audited = sum(1 for e in audit.read(s.connection())  # (v2: a change's entry rebuilt from its change)
                      if e.action == "support_case.insert")
    assert rows and all(case_assignee == sheet_assignee for _, case_assignee, sheet_assignee, _ in rows)
    cases = len(case_views.list_cases(village, today=TODAY))
    assert changes >= cases and audited == cases
    assert check_store(village).sound
