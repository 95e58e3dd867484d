"""Reading support cases (issue 18): one case with everything recorded on it, and lists
(open/closed, reviews due). Only what the account may see: coordinators and admins every
household's cases, staff those of their districts.

A goal's next review is its review date, moved by each monitoring record's next review date
(none once the goal is achieved or stopped); a case's next review is the earliest of its current
plan's goals. A monitoring record without a next review date leaves the earlier date standing,
so the goal stays due until someone sets one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.vocab import ACTION_WHO, CASE_CLOSED, GOAL_ENDED, MONITORING_PROGRESS
from shakyo_desk.store.models import (
    Agency, AssessmentView, CaseEvaluation, CaseSheet, CaseStatusChange, Household, HouseholdSearch, MissingResource,
    Monitoring, Person, PlanAction, PlanGoal, Staff, SupportCase, SupportPlan,
)
from shakyo_desk.store.services._common import log_view
from shakyo_desk.store.services.cases import case_row
from shakyo_desk.store.services.households import visible_households
from shakyo_desk.store.store import Store


@dataclass(frozen=True)
class StatusStep:
    status: str
    changed_on: date
    note: str


@dataclass(frozen=True)
class View:
    id: str
    person_id: str | None
    person: str  # "" for the household as a whole
    participant: str
    organisation: str
    recorded_on: date
    problem: str
    strength: str
    wish: str


@dataclass(frozen=True)
class Action:
    id: str
    who_kind: str
    who_label: str
    who: str
    what: str
    due_on: date | None


@dataclass(frozen=True)
class Check:
    id: str
    monitored_on: date
    progress: str
    progress_label: str
    note: str
    next_review_on: date | None


@dataclass(frozen=True)
class Goal:
    id: str
    person_id: str | None
    person: str
    text: str
    review_on: date
    next_review_on: date | None
    actions: tuple[Action, ...]
    monitoring: tuple[Check, ...]


@dataclass(frozen=True)
class Plan:
    id: str
    version: int
    made_on: date
    policy: str
    goals: tuple[Goal, ...]
    missing_resources: tuple[str, ...]


@dataclass(frozen=True)
class Evaluation:
    id: str
    closed_on: date
    reason: str
    changes: str
    worked: str


@dataclass(frozen=True)
class CaseSummary:
    id: str
    household_id: str
    household_name: str
    status: str
    opened_on: date
    closed_on: date | None
    assignee_id: str | None
    assignee: str
    lead_agency_id: str | None
    lead_agency: str
    next_review_on: date | None


@dataclass(frozen=True)
class CaseDetail:
    summary: CaseSummary
    sheet_ids: tuple[str, ...]
    history: tuple[StatusStep, ...]
    assessment: tuple[View, ...]
    plans: tuple[Plan, ...]  # oldest version first; the last is current
    evaluations: tuple[Evaluation, ...]


def _live(model):
    return model.deleted_at.is_(None)


def _next_review(goal_review: date, checks: list) -> date | None:
    due: date | None = goal_review
    for c in checks:  # in date order
        if c.progress in GOAL_ENDED:
            due = None
        elif c.next_review_on is not None:
            due = c.next_review_on
    return due


def _reviews(s, case_ids: list[str]) -> dict[str, date]:
    """Per case: the earliest next review among its current plan's goals."""
    if not case_ids:
        return {}
    plans = s.execute(sa.select(SupportPlan.case_id, sa.func.max(SupportPlan.version))
                      .where(SupportPlan.case_id.in_(case_ids), _live(SupportPlan))
                      .group_by(SupportPlan.case_id)).all()
    current = {case_id: version for case_id, version in plans}
    goals = s.execute(sa.select(PlanGoal.id, PlanGoal.case_id, PlanGoal.review_on, SupportPlan.version)
                      .join(SupportPlan, SupportPlan.id == PlanGoal.plan_id)
                      .where(PlanGoal.case_id.in_(case_ids), _live(PlanGoal))).all()
    goals = [g for g in goals if current.get(g.case_id) == g.version]
    checks: dict[str, list] = {}
    for c in s.execute(sa.select(Monitoring).where(Monitoring.goal_id.in_([g.id for g in goals]), _live(Monitoring))
                       .order_by(Monitoring.monitored_on, Monitoring.created_at)).scalars():
        checks.setdefault(c.goal_id, []).append(c)
    result: dict[str, date] = {}
    for g in goals:
        due = _next_review(g.review_on, checks.get(g.id, []))
        if due is not None and (g.case_id not in result or due < result[g.case_id]):
            result[g.case_id] = due
    return result


def _summary_query(store: Store):
    q = (sa.select(SupportCase, HouseholdSearch.head_name, Staff.display_name, Agency.name)
         .join(Household, Household.id == SupportCase.household_id)
         .outerjoin(HouseholdSearch, HouseholdSearch.household_id == SupportCase.household_id)
         .outerjoin(Staff, Staff.id == SupportCase.assignee_id)
         .outerjoin(Agency, Agency.id == SupportCase.lead_agency_id)
         .where(_live(SupportCase)))
    return visible_households(store, q)


def _summary(row, reviews: dict) -> CaseSummary:
    c, head, assignee, agency = row
    return CaseSummary(c.id, c.household_id, head or "", c.status, c.opened_on, c.closed_on, c.assignee_id,
                       assignee or "", c.lead_agency_id, agency or "",
                       None if c.status == CASE_CLOSED else reviews.get(c.id))


def list_cases(store: Store, *, status: str | None = None, review_due: bool = False, household_id: str | None = None,
               today: date | None = None) -> list[CaseSummary]:
    """status: "open" (not 終結), "closed", or None for all. review_due: open cases whose next
    review is today or past, earliest first; otherwise newest opened first."""
    today = today or clock.today()
    q = _summary_query(store)
    if status == "open" or review_due:
        q = q.where(SupportCase.status != CASE_CLOSED)
    elif status == "closed":
        q = q.where(SupportCase.status == CASE_CLOSED)
    if household_id:
        q = q.where(SupportCase.household_id == household_id)
    with store.read() as s:
        rows = s.execute(q.order_by(SupportCase.opened_on.desc(), SupportCase.created_at.desc())).all()
        reviews = _reviews(s, [r[0].id for r in rows if r[0].status != CASE_CLOSED])
    cases = [_summary(r, reviews) for r in rows]
    if review_due:
        cases = sorted((c for c in cases if c.next_review_on is not None and c.next_review_on <= today),
                       key=lambda c: c.next_review_on)
    return cases


def get_case(store: Store, case_id: str, *, log: bool = True) -> CaseDetail:
    case_row(store, case_id)  # visibility
    with store.read() as s:
        row = s.execute(_summary_query(store).where(SupportCase.id == case_id)).one()
        summary = _summary(row, _reviews(s, [case_id]))
        people = dict(s.execute(sa.select(Person.id, Person.name).where(
            Person.household_id == summary.household_id)).all())
        sheets = tuple(s.execute(sa.select(CaseSheet.sheet_id).where(CaseSheet.case_id == case_id, _live(CaseSheet))
                                 .order_by(CaseSheet.created_at)).scalars())
        history = tuple(StatusStep(h.status, h.changed_on, h.note) for h in s.execute(
            sa.select(CaseStatusChange).where(CaseStatusChange.case_id == case_id, _live(CaseStatusChange))
            .order_by(CaseStatusChange.changed_on, CaseStatusChange.created_at)).scalars())
        views = tuple(View(v.id, v.person_id, people.get(v.person_id, ""), v.participant, v.organisation,
                           v.recorded_on, v.problem, v.strength, v.wish) for v in s.execute(
            sa.select(AssessmentView).where(AssessmentView.case_id == case_id, _live(AssessmentView))
            .order_by(AssessmentView.recorded_on, AssessmentView.created_at)).scalars())
        actions: dict[str, list[Action]] = {}
        for a in s.execute(sa.select(PlanAction).where(PlanAction.case_id == case_id, _live(PlanAction))
                           .order_by(PlanAction.created_at)).scalars():
            actions.setdefault(a.goal_id, []).append(
                Action(a.id, a.who_kind, ACTION_WHO.get(a.who_kind, a.who_kind), a.who, a.what, a.due_on))
        checks: dict[str, list] = {}
        for c in s.execute(sa.select(Monitoring).where(Monitoring.case_id == case_id, _live(Monitoring))
                           .order_by(Monitoring.monitored_on, Monitoring.created_at)).scalars():
            checks.setdefault(c.goal_id, []).append(c)
        goals: dict[str, list[Goal]] = {}
        for g in s.execute(sa.select(PlanGoal).where(PlanGoal.case_id == case_id, _live(PlanGoal))
                           .order_by(PlanGoal.sort_order, PlanGoal.created_at)).scalars():
            mine = checks.get(g.id, [])
            goals.setdefault(g.plan_id, []).append(Goal(
                g.id, g.person_id, people.get(g.person_id, ""), g.text, g.review_on, _next_review(g.review_on, mine),
                tuple(actions.get(g.id, ())),
                tuple(Check(c.id, c.monitored_on, c.progress, MONITORING_PROGRESS.get(c.progress, c.progress), c.note,
                            c.next_review_on) for c in mine)))
        missing: dict[str, list[str]] = {}
        for m in s.execute(sa.select(MissingResource).where(MissingResource.case_id == case_id, _live(MissingResource))
                           .order_by(MissingResource.created_at)).scalars():
            missing.setdefault(m.plan_id, []).append(m.text)
        plans = tuple(Plan(p.id, p.version, p.made_on, p.policy, tuple(goals.get(p.id, ())),
                           tuple(missing.get(p.id, ()))) for p in s.execute(
            sa.select(SupportPlan).where(SupportPlan.case_id == case_id, _live(SupportPlan))
            .order_by(SupportPlan.version)).scalars())
        evaluations = tuple(Evaluation(e.id, e.closed_on, e.reason, e.changes, e.worked) for e in s.execute(
            sa.select(CaseEvaluation).where(CaseEvaluation.case_id == case_id, _live(CaseEvaluation))
            .order_by(CaseEvaluation.closed_on, CaseEvaluation.created_at)).scalars())
    if log:
        log_view(store, "support_case", case_id)
    return CaseDetail(summary, sheets, history, views, plans, evaluations)


def case_reviews_due(store: Store, until: date, *, district_id: str | None = None) -> list[CaseSummary]:
    """Open cases whose next review is on or before ``until`` (this week's end on the 見守り予定
    page: overdue ones too), earliest first; ``district_id`` narrows to one district."""
    q = _summary_query(store).where(SupportCase.status != CASE_CLOSED)
    if district_id:
        q = q.where(Household.district_id == district_id)
    with store.read() as s:
        rows = s.execute(q).all()
        reviews = _reviews(s, [r[0].id for r in rows])
    cases = [_summary(r, reviews) for r in rows]
    return sorted((c for c in cases if c.next_review_on is not None and c.next_review_on <= until),
                  key=lambda c: (c.next_review_on, c.household_name))


@dataclass(frozen=True)
class StaffChoice:
    id: str
    login: str
    display_name: str


def assignable_staff(store: Store) -> list[StaffChoice]:
    """Accounts that can be a case's 担当 (council staff, not disabled, not reporters), by name."""
    from shakyo_desk.domain.roles import Role

    with store.read() as s:
        rows = s.execute(sa.select(Staff.id, Staff.login, Staff.display_name)
                         .where(Staff.deleted_at.is_(None), Staff.disabled_at.is_(None),
                                Staff.role != Role.REPORTER.value)
                         .order_by(Staff.display_name)).all()
    return [StaffChoice(r.id, r.login, r.display_name) for r in rows]


def case_of_sheet(store: Store, sheet_id: str) -> CaseSummary | None:
    """The support case opened from this 把握シート (one per sheet), if this account may see it."""
    q = _summary_query(store).join(CaseSheet, CaseSheet.case_id == SupportCase.id).where(
        CaseSheet.sheet_id == sheet_id, _live(CaseSheet))
    with store.read() as s:
        row = s.execute(q).first()
        if row is None:
            return None
        return _summary(row, _reviews(s, [row[0].id]))
