"""支援ケース for the demo (issue 18): cases at every stage of the cycle, from a case just opened
from a 把握シート to closures with an evaluation and a 地域課題, and one reopened.

The plan step is pure and seeded like the others: it picks households that fit a scenario of
``case_texts`` (an 8050 household for the 8050 scenario, an elderly couple for 老老介護, …), the
把握シート the case came from (already taken up, so the 受付箱 is left as it is), the 担当 (the
staff member of the settlement), and dates counted back from the plan's ``today``, then cuts the
scenario at the case's stage. Reviews are placed around ``today``: some overdue, some due this
week, the rest later, so ``case list --review-due`` and the 見守り予定 page have something to
show whatever the day.

The write step goes through the services (``cases``, ``case_plans``, ``sheets.assign_sheet``)
with ``today=`` pinned to each step's date, as the coordinator (opening, closing, reopening)
or the 担当 (assessment, plan, monitoring): every record is checked, logged for sync and
audited like work entered by hand.

The village gets one case per stage slot of ``VILLAGE_STAGES``; a profile's ``support_cases``
(large-town: about 2,000 over ten years, most of them closed) spreads that many instead."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from shakyo_desk.demo.case_texts import (
    INTERIM_NOTES, REOPEN_GOAL, REOPEN_NOTES, REOPEN_POLICY, REOPEN_VIEW, SCENARIOS, GoalText, Scenario,
)
from shakyo_desk.demo.fieldwork import _in_charge, _logins, _start, _store_for
from shakyo_desk.demo.village import HouseholdPlan, Plan, PlanStep, WriteContext, WriteStep
from shakyo_desk.domain.roles import Role
from shakyo_desk.domain.vocab import GOAL_ENDED

RECEIVED, ASSESSING, SUPPORTING, MONITORING, CLOSED, REOPENED = (
    "受付", "アセスメント", "支援中", "モニタリング", "終結", "再開")
VILLAGE_STAGES = [RECEIVED] * 3 + [ASSESSING] * 3 + [SUPPORTING] * 3 + [MONITORING] * 4 + [CLOSED] * 3 + [REOPENED]
# Of a profile's support_cases: the share at each open stage (the rest closed).
SHARES = {RECEIVED: 0.015, ASSESSING: 0.025, SUPPORTING: 0.05, MONITORING: 0.10, REOPENED: 0.015}
# Where the next review of an open case with a plan falls, in turn.
REVIEW_ROLES = ["overdue", "this-week", "later", "later", "later"]
USABLE_SHEET = ("対応中", "つないだ", "見守り", "終結")  # never one still in the 受付箱
REVIEW_NOTE = "再開にあたって見直した。引き続き取り組む。"
ISSUE_SHARE = 0.3  # of a profile's many closures, those that raise a 地域課題


# ---- plan records ------------------------------------------------------------------


@dataclass
class ViewPlan:
    on: date
    about: int | None  # member index, None for the household
    participant: str
    organisation: str
    problem: str = ""
    strength: str = ""
    wish: str = ""


@dataclass
class ActionPlan:
    kind: str  # vocab.ACTION_WHO code
    who: str  # login, agency name, or a person's name
    what: str
    due: date | None = None


@dataclass
class CheckPlan:
    on: date
    progress: str
    note: str
    next_review: date | None


@dataclass
class GoalPlan:
    about: int | None
    text: str
    review_on: date
    actions: list[ActionPlan]
    checks: list[CheckPlan] = field(default_factory=list)
    version: int = 1
    carried_from: int | None = None  # index of the goal of the earlier version

    def next_review(self) -> date | None:
        """As case_views computes it: the review date, moved by each check."""
        due: date | None = self.review_on
        for c in self.checks:
            if c.progress in GOAL_ENDED:
                due = None
            elif c.next_review is not None:
                due = c.next_review
        return due


@dataclass
class SupportCasePlan:
    household: int
    scenario: str
    stage: str
    coordinator: str  # login
    assignee: str  # login
    lead_agency: int | None  # index in plan.agencies
    sheets: list[int]  # indices in plan.sheets
    opened_on: date
    views: list[ViewPlan] = field(default_factory=list)
    plan_on: date | None = None
    policy: str = ""
    goals: list[GoalPlan] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    closed_on: date | None = None
    reason: str = ""
    changes: str = ""
    worked: str = ""
    issue: str = ""
    reopened_on: date | None = None
    reopen_note: str = ""
    revised_on: date | None = None
    revised_policy: str = ""

    @property
    def status(self) -> str:
        """What the services leave it at (case_views shows the same)."""
        if self.closed_on and not self.reopened_on:
            return CLOSED
        goals = self.current_goals()
        if any(g.checks for g in goals):
            return MONITORING
        if goals:
            return SUPPORTING
        return ASSESSING if self.views else RECEIVED

    def current_goals(self) -> list[GoalPlan]:
        version = max((g.version for g in self.goals), default=1)
        return [g for g in self.goals if g.version == version]

    def next_review(self) -> date | None:
        if self.status == "終結":
            return None
        dues = [d for d in (g.next_review() for g in self.current_goals()) if d is not None]
        return min(dues) if dues else None


# ---- helpers -----------------------------------------------------------------------


def _wd(d: date) -> date:
    """A weekday: Saturday and Sunday move back to Friday."""
    return d - timedelta(days=max(0, d.weekday() - 4))


class _Fill(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def _members(h: HouseholdPlan) -> dict[str, int]:
    """Selector → member index (those the household has)."""
    found = {"head": 0}
    for i, p in enumerate(h.members):
        if p.relation == "配偶者" and "spouse" not in found:
            found["spouse"] = i
        if p.relation == "子" and 40 <= p.age <= 65 and "child" not in found:
            found["child"] = i
    kids = [(p.age, i) for i, p in enumerate(h.members) if p.age < 18]
    if kids:
        found["kid"] = min(kids)[1]
        parent = next((i for i, p in enumerate(h.members) if 18 <= p.age - min(kids)[0] <= 45 and p.age >= 18), None)
        if parent is not None:
            found["parent"] = parent
    oldest = max(range(len(h.members)), key=lambda i: h.members[i].age)
    if h.members[oldest].age >= 70:
        found["elder"] = oldest
        carer = next((i for i, p in enumerate(h.members) if i != oldest and 30 <= p.age <= 64), None)
        if carer is not None:
            found["carer"] = carer
    return found


def fits(scenario: str, h: HouseholdPlan) -> bool:
    head = h.members[0]
    sel = _members(h)
    if scenario == "8050":
        return "8050" in h.flags and "child" in sel and head.age >= 70
    if scenario == "transport":
        return "一人暮らし高齢者" in h.flags
    if scenario == "carer":
        return ("高齢者のみ" in h.flags and "spouse" in sel and head.sex == "男"
                and h.members[sel["spouse"]].sex == "女")
    if scenario == "single-parent":
        return "ひとり親" in h.flags and "kid" in sel
    if scenario == "jobless":
        return h.kind in ("単身", "夫婦") and 20 <= head.age <= 64 and not head.foreign
    if scenario == "money":
        return head.age >= 75 and len(h.members) <= 2
    if scenario == "foreign":
        return "外国籍" in h.flags
    if scenario == "care-work":
        return "carer" in sel
    if scenario == "young-family":
        return "parent" in sel and "ひとり親" not in h.flags and sum(p.age >= 18 for p in h.members) >= 2
    # isolation: someone living alone or as a pair, or a household no other scenario fits
    return head.age >= 18 and (len(h.members) <= 2 or not any(
        fits(s.key, h) for s in SCENARIOS if s.key != "isolation"))


def _words(h: HouseholdPlan) -> _Fill:
    sel = _members(h)
    head = h.members[0]
    child = h.members[sel["child"]] if "child" in sel else None
    return _Fill(parent="母親" if head.sex == "女" else "父親",
                 child=("娘" if child.sex == "女" else "息子") if child else "子")


def _stages(plan: Plan) -> list[str]:
    count = plan.profile.support_cases
    if not count:
        return list(VILLAGE_STAGES)
    stages = []
    for stage, share in SHARES.items():
        stages += [stage] * max(1, round(count * share))
    return stages + [CLOSED] * max(1, count - len(stages))


# ---- plan --------------------------------------------------------------------------


class _Planner:
    def __init__(self, plan: Plan, rng: random.Random):
        self.plan, self.rng, self.today = plan, rng, plan.today
        self.span = (plan.today - _start(plan)).days
        self.in_charge = _in_charge(plan)
        self.coordinators = _logins(plan, Role.COORDINATOR) or [s.login for s in plan.staff]
        self.staff = {s.login: s for s in plan.staff}
        self.council = plan.council_name.replace("（デモ）", "")
        self.districts = {d.key: d.name for d in plan.districts}
        self.sheets_of: dict[int, list[int]] = {}
        for n, s in enumerate(plan.sheets):
            if s.household is not None and s.status in USABLE_SHEET:
                self.sheets_of.setdefault(s.household, []).append(n)
        self.helpers: dict[str, list[tuple[int, str]]] = {}
        for i, h in enumerate(plan.households):
            for p in h.members:
                if {"ボランティア", "サロン世話人", "連絡員"} & set(p.roles):
                    self.helpers.setdefault(h.district, []).append((i, p.name))
        # (not a household the 民生委員 lives in: their view is about someone else's household)
        self.fitting = {s.key: [i for i, h in enumerate(plan.households) if fits(s.key, h)
                                and all(p.name != h.welfare_commissioner for p in h.members)] for s in SCENARIOS}
        self.fitting_set = {key: set(pool) for key, pool in self.fitting.items()}
        self.used: set[int] = {c.household for c in plan.closed_cases}  # their retention example stays
        self.on_agenda = [k.household for c in plan.conferences if c.meeting_type == "multi-agency"
                          and c.held_on > plan.today for k in c.cases]

    # -- dates

    def opened_window(self, stage: str) -> tuple[int, int]:
        """Days before today the case was opened (earliest, latest)."""
        big = self.span > 1500
        return {RECEIVED: (10, 1), ASSESSING: (45, 18), SUPPORTING: (100, 50), MONITORING: (330, 150),
                CLOSED: ((self.span - 60) if big else 620, 200), REOPENED: (700, 480)}[stage]

    # -- choosing the household

    def choose(self, scenario: Scenario, opened_on: date, stage: str,
               need_sheet: bool = False) -> tuple[int, list[int]] | None:
        """A household fitting the scenario, with the sheets it came from (noticed in the half
        year before, already taken up), or None. A case in support goes first to a household of
        an upcoming 重層的支援会議, whose handout shares the plan."""
        pool = self.fitting[scenario.key]
        first = [i for i in self.on_agenda if i not in self.used and i in self.fitting_set[scenario.key]] \
            if stage in (SUPPORTING, MONITORING) else []
        fallback = None
        tries = len(pool) * 2 if need_sheet or len(pool) <= 40 else 40
        for attempt in range(tries):
            i = first[0] if attempt == 0 and first else self.rng.choice(pool)
            if i in self.used:
                continue
            sheets = [n for n in self.sheets_of.get(i, ())
                      if opened_on - timedelta(days=180) <= self.plan.sheets[n].noticed_on <= opened_on]
            if sheets:
                preferred = [n for n in sheets if set(self.plan.sheets[n].concerns) & scenario.concerns]
                return i, sorted((preferred or sheets)[-2:])
            if i in first:
                return i, []
            fallback = fallback if fallback is not None else i
        return (fallback, []) if fallback is not None and not need_sheet else None

    # -- one case

    def case(self, stage: str, scenario: Scenario, role: str, serial: int,
             need_sheet: bool = False) -> SupportCasePlan | None:
        rng, today = self.rng, self.today
        early, late = self.opened_window(stage)
        opened_on = _wd(today - timedelta(days=rng.randint(late, max(late, early))))
        chosen = self.choose(scenario, opened_on, stage, need_sheet)
        if chosen is None:
            return None
        hi, sheets = chosen
        self.used.add(hi)
        h = self.plan.households[hi]
        assignee = self.in_charge.get(h.district) or rng.choice(self.coordinators)
        lead = next((n for n, a in enumerate(self.plan.agencies) if scenario.lead and scenario.lead in a.name), None)
        case = SupportCasePlan(hi, scenario.key, stage, rng.choice(self.coordinators), assignee, lead, sheets, opened_on)
        words = _words(h)
        if stage == RECEIVED:
            return case
        # The close of the first round (closed and reopened cases), and the last day of the plan's work.
        if stage in (CLOSED, REOPENED):
            low = 200 if stage == REOPENED else 20
            case.closed_on = _wd(min(today - timedelta(days=low), opened_on + timedelta(days=rng.randint(150, 420))))
            last = case.closed_on
        else:
            last = _wd(today - timedelta(days=1))
        self.views(case, scenario, h, words, min(last, opened_on + timedelta(days=rng.randint(10, 20))))
        if stage == ASSESSING:
            return case
        case.plan_on = _wd(max(case.views[-1].on, min(
            opened_on + timedelta(days=rng.randint(22, 35)), today - timedelta(days=14))))
        case.policy = scenario.policy.format_map(words)
        case.missing = [m.format_map(words) for m in scenario.missing]
        for text in scenario.goals:
            case.goals.append(self.goal(case, text, h, words, case.plan_on, 1))
        if stage == SUPPORTING:
            self.place_reviews(case, role)
            return case
        limit = last if stage == MONITORING else case.closed_on - timedelta(days=5)
        for n, goal in enumerate(case.goals):
            self.checks(goal, scenario.goals[n], words, limit, keep_open=stage == MONITORING and n == 0)
        if stage == MONITORING:
            self.place_reviews(case, role)
            return case
        case.reason = scenario.reason.format_map(words)
        case.changes = scenario.changes.format_map(words)
        case.worked = scenario.worked.format_map(words)
        if not self.plan.profile.support_cases or rng.random() < ISSUE_SHARE:  # the demo's closures all do
            case.issue = scenario.issues[serial % len(scenario.issues)]
        if stage == REOPENED:
            self.reopen(case, h, words, role)
        return case

    def views(self, case: SupportCasePlan, scenario: Scenario, h: HouseholdPlan, words, until: date) -> None:
        sel = _members(h)
        on = case.opened_on
        for text in scenario.views:
            on = _wd(min(until, on + timedelta(days=self.rng.randint(1, 6))))
            on = max(on, case.opened_on, case.views[-1].on if case.views else on)
            participant, organisation = self.speaker(case, text.who, h, sel, text.about)
            case.views.append(ViewPlan(on, sel.get(text.about) if text.about else None, participant, organisation,
                                       text.problem.format_map(words), text.strength.format_map(words),
                                       text.wish.format_map(words)))

    def speaker(self, case: SupportCasePlan, who: str, h: HouseholdPlan, sel: dict,
                about: str = "") -> tuple[str, str]:
        kind, _, rest = who.partition(":")
        if kind == "agency":
            agency = next((a for a in self.plan.agencies if rest in a.name), None)
            if agency is not None:
                return agency.contact, agency.name
        if kind == "commissioner" and h.welfare_commissioner:
            return h.welfare_commissioner, f"民生委員（{self.districts[h.district]}）"
        if kind == "self":  # the member the view is about, speaking for themselves
            return h.members[sel.get(rest or about or "head", 0)].name, "本人"
        if kind == "family" and rest in sel:
            return h.members[sel[rest]].name, "家族"
        return self.staff[case.assignee].display_name, self.council

    def actor(self, case: SupportCasePlan, who: str, h: HouseholdPlan, sel: dict) -> tuple[str, str]:
        kind, _, rest = who.partition(":")
        if kind == "agency":
            agency = next((a for a in self.plan.agencies if rest in a.name), None)
            if agency is not None:
                return "agency", agency.name
        if kind == "commissioner" and h.welfare_commissioner:
            return "resident", f"{h.welfare_commissioner}（民生委員）"
        if kind == "resident":
            helpers = [name for i, name in self.helpers.get(h.district, ()) if i != case.household]
            return "resident", (self.rng.choice(helpers) if helpers else "近所の方")
        if kind == "self":
            return "family", "本人"
        if kind == "family" and rest in sel:
            return "family", h.members[sel[rest]].name
        return "staff", case.assignee

    def goal(self, case: SupportCasePlan, text: GoalText, h: HouseholdPlan, words, made_on: date,
             version: int) -> GoalPlan:
        sel = _members(h)
        actions = []
        for a in text.actions:
            kind, who = self.actor(case, a.who, h, sel)
            due = made_on + timedelta(days=a.due_days) if a.due_days is not None else None
            actions.append(ActionPlan(kind, who, a.what.format_map(words), due))
        review = _wd(made_on + timedelta(days=self.rng.randint(30, 45)))
        return GoalPlan(sel.get(text.about) if text.about else None, text.text.format_map(words),
                        max(review, made_on), actions, version=version)

    def checks(self, goal: GoalPlan, text: GoalText, words, limit: date, keep_open: bool) -> None:
        due = goal.review_on
        last = goal.review_on - timedelta(days=25)  # never before the plan was made
        for progress, note in text.checks:
            on = _wd(due + timedelta(days=self.rng.randint(-3, 5)))
            on = max(on, last)
            if on > limit:
                break
            if keep_open and progress in GOAL_ENDED:
                break
            ended = progress in GOAL_ENDED
            nxt = None if ended else on + timedelta(days=self.rng.randint(30, 60))
            goal.checks.append(CheckPlan(on, progress, note.format_map(words), nxt))
            if ended:
                break
            due, last = nxt, on
            while self.rng.random() < 0.4:  # a review or two where little changed
                on = max(_wd(due + timedelta(days=self.rng.randint(-3, 5))), last)
                if on > limit:
                    return
                nxt = on + timedelta(days=self.rng.randint(30, 60))
                goal.checks.append(CheckPlan(on, progress, self.rng.choice(INTERIM_NOTES), nxt))
                due, last = nxt, on

    def review_date(self, role: str) -> date:
        rng, today = self.rng, self.today
        if role == "overdue":
            return today - timedelta(days=rng.randint(2, 10))
        if role == "this-week":
            return today + timedelta(days=rng.randint(0, 6))
        return today + timedelta(days=rng.randint(14, 45))

    def place_reviews(self, case: SupportCasePlan, role: str) -> None:
        """The first open goal's review falls as ``role`` says; the others later."""
        first = True
        for goal in case.current_goals():
            if goal.checks and goal.checks[-1].progress in GOAL_ENDED:
                continue
            when = self.review_date(role if first else "later")
            first = False
            if goal.checks:
                goal.checks[-1].next_review = max(when, goal.checks[-1].on)
            else:
                goal.review_on = max(when, case.plan_on if goal.version == 1 else case.revised_on)

    def reopen(self, case: SupportCasePlan, h: HouseholdPlan, words, role: str) -> None:
        rng, today = self.rng, self.today
        case.reopened_on = _wd(today - timedelta(days=rng.randint(20, 40)))
        case.reopen_note = rng.choice(REOPEN_NOTES)
        participant, organisation = self.speaker(case, "commissioner", h, _members(h))
        case.views.append(ViewPlan(_wd(case.reopened_on + timedelta(days=2)), None, participant, organisation,
                                   REOPEN_VIEW[0], REOPEN_VIEW[1]))
        case.revised_on = _wd(case.reopened_on + timedelta(days=rng.randint(5, 12)))
        case.revised_policy = REOPEN_POLICY
        for n, goal in enumerate(list(case.goals)):
            if goal.next_review() is None:
                continue  # achieved or stopped: not carried over
            carried = GoalPlan(goal.about, goal.text, max(goal.review_on, case.revised_on),
                               [ActionPlan(a.kind, a.who, a.what, a.due) for a in goal.actions], version=2,
                               carried_from=n)
            carried.checks.append(CheckPlan(case.revised_on, "partly", REVIEW_NOTE, None))
            case.goals.append(carried)
        case.goals.append(self.goal(case, REOPEN_GOAL, h, words, case.revised_on, 2))
        self.place_reviews(case, role)


def plan_support_cases(plan: Plan, rng: random.Random) -> None:
    if not plan.households or not plan.staff:
        plan.support_cases = []
        return
    planner = _Planner(plan, rng)
    order = list(SCENARIOS)
    rng.shuffle(order)
    cases: list[SupportCasePlan] = []
    roles = iter(REVIEW_ROLES * (len(plan.households) + 1))
    for serial, stage in enumerate(_stages(plan)):
        role = next(roles) if stage in (SUPPORTING, MONITORING, REOPENED) else ""
        turn = [order[(serial + k) % len(order)] for k in range(len(order))]
        waiting = [i for i in planner.on_agenda if i not in planner.used]
        if stage in (SUPPORTING, MONITORING) and waiting:  # a scenario the meeting's household fits first
            turn.sort(key=lambda sc: waiting[0] not in planner.fitting_set[sc.key])
        # the next scenario in turn that has a household left (a case just received: with its sheet)
        for scenario, need_sheet in [(sc, True) for sc in turn if stage == RECEIVED] + [(sc, False) for sc in turn]:
            case = planner.case(stage, scenario, role, serial, need_sheet)
            if case is not None:
                cases.append(case)
                break
    cases.sort(key=lambda c: c.opened_on)
    plan.support_cases = cases


PLAN_STEPS = [PlanStep("support_cases", plan_support_cases)]


# ---- write -------------------------------------------------------------------------


def write_support_cases(ctx: WriteContext, tick: Callable[[int], None]) -> None:
    done = 0
    for case in ctx.plan.support_cases:
        _write_case(ctx, case)
        done += 1
        if done % 20 == 0:
            tick(20)
    tick(done % 20)


def _write_case(ctx: WriteContext, case: SupportCasePlan) -> None:
    from shakyo_desk.store.services import case_plans, case_views, cases, sheets
    from shakyo_desk.store.services.case_plans import ActionDraft

    coordinator, worker = _store_for(ctx, case.coordinator), _store_for(ctx, case.assignee)

    def person(about: int | None) -> str | None:
        return ctx.person_ids[(case.household, about)] if about is not None else None

    sheet_ids = [ctx.sheet_ids[n] for n in case.sheets]
    case_id = cases.open_case(coordinator, ctx.household_by_index[case.household], sheet_ids=sheet_ids,
                              assignee_id=ctx.staff_ids[case.assignee],
                              lead_agency_id=ctx.agency_ids[case.lead_agency] if case.lead_agency is not None else None,
                              opened_on=case.opened_on, today=case.opened_on)
    for sheet_id in sheet_ids:
        sheets.assign_sheet(coordinator, sheet_id, ctx.staff_ids[case.assignee])

    def view(v: ViewPlan) -> None:
        case_plans.add_assessment(worker, case_id, v.participant, organisation=v.organisation, person_id=person(v.about),
                                  problem=v.problem, strength=v.strength, wish=v.wish, recorded_on=v.on, today=v.on)

    def goal(g: GoalPlan, made_on: date, missing: list[str] = ()) -> str:
        drafts = [ActionDraft(a.kind, a.who, a.what, a.due) for a in g.actions]
        return case_plans.add_goal(worker, case_id, g.text, g.review_on, person_id=person(g.about), actions=drafts,
                                   missing=list(missing), today=made_on)

    first_round = [v for v in case.views if case.reopened_on is None or v.on < case.reopened_on]
    for v in first_round:
        view(v)
    if case.plan_on is None:
        return
    ids: dict[int, str] = {}
    for n, g in enumerate(case.goals):
        if g.version == 1:
            ids[n] = goal(g, case.plan_on, case.missing if n == 0 else ())
    case_plans.set_policy(worker, case_id, case.policy, today=case.plan_on)
    checks = sorted(((c.on, n, c) for n, g in enumerate(case.goals) if g.version == 1 for c in g.checks),
                    key=lambda x: (x[0], x[1]))
    for on, n, c in checks:
        case_plans.record_monitoring(worker, case_id, ids[n], c.on, c.progress, note=c.note,
                                     next_review_on=c.next_review, today=c.on)
    if case.closed_on is None:
        return
    cases.close_case(coordinator, case_id, case.reason, case.changes, worked=case.worked, community_issue=case.issue,
                     closed_on=case.closed_on, today=case.closed_on)
    if case.reopened_on is None:
        return
    cases.reopen_case(coordinator, case_id, case.reopen_note, today=case.reopened_on)
    for v in case.views[len(first_round):]:
        view(v)
    case_plans.revise_plan(worker, case_id, policy=case.revised_policy, today=case.revised_on)
    carried = {g.text: g.id for g in case_views.get_case(worker, case_id, log=False).plans[-1].goals}
    for g in case.goals:
        if g.version != 2:
            continue
        if g.carried_from is None:
            goal(g, case.revised_on)
        else:
            for c in g.checks:
                case_plans.record_monitoring(worker, case_id, carried[g.text], c.on, c.progress, note=c.note,
                                             next_review_on=c.next_review, today=c.on)


WRITE_STEPS = [WriteStep("support_cases", "支援ケースを書いています", lambda plan: len(plan.support_cases),
                         write_support_cases)]
