"""The 支援ケース behind a case of a meeting, for its handout (issue 18, DESIGN §6): what
``handout_content.CaseWork`` carries, gathered from the store and minimised as the rest of the
handout is.

- Which case: the conference case's own ``case_id`` when it names one (migration 0017);
  otherwise the household's case that was open on the meeting date, else the one closed most
  recently before it. None when the household has no case then.
- A 重層的支援会議 (the person has consented; MHLW: 「当該ケースのプランを共有」「プラン終結時等の
  評価」): the plan version in force on the meeting date (made on or before it) — its 方針, each
  goal with who does what by when and the last monitoring on or before the date with the
  review date standing then — the missing local resources, and, for a case closed by the
  meeting date, the evaluation of that closure.
- A 支援会議 (no consent needed, so the least): only the assessment's 課題 and 強み recorded by
  the meeting date — not the person's wishes in their words, not the plan.
- Other meeting types: nothing (None).

Minimised as ``reports/handouts._name`` does: household members by relation and initials (the
full name only when the meeting chose to show it); speakers by their relation to the household
or their organisation; free text with any member's name replaced (full name → the name as the
handout shows it, family or given name alone → ○○); a resident supporter by that word only.
Reads with ``log=False``: making the handout is the audited act."""

from __future__ import annotations

from datetime import date

from shakyo_desk.domain.errors import NotFound
from shakyo_desk.domain.people import initials
from shakyo_desk.domain.vocab import GOAL_ENDED, MULTI_AGENCY_CONFERENCE, SUPPORT_CONFERENCE
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.reports.handout_content import AssessmentLine, CaseWork, Evaluation, PlanAction, PlanGoal
from shakyo_desk.store.services import case_views
from shakyo_desk.store.store import Store

HOUSEHOLD = "世帯全体"
MASK = "○○"
SPEAKER_UNKNOWN = "関係者"


class Namer:
    """How the handout names a household's members, and their names masked in free text."""

    def __init__(self, members, shown: set[str]):
        self.full = "full_name" in shown
        self.members = {m.id: m for m in members}
        self.replacements: list[tuple[str, str]] = []
        parts: set[str] = set()
        for m in members:
            shown_name = self.name(m)
            for text in (m.name, getattr(m, "kana", "")):
                words = (text or "").split()
                if not words:
                    continue
                self.replacements += [(" ".join(words), shown_name), ("".join(words), shown_name)]
                if len(words) > 1:
                    parts.update(w for w in words if len(w) >= 2)
        self.replacements.sort(key=lambda pair: len(pair[0]), reverse=True)
        self.parts = sorted(parts, key=len, reverse=True)
        self.by_name = {"".join((m.name or "").split()): m for m in members}

    def name(self, member) -> str:
        return member.name if self.full else (initials(getattr(member, "kana", "")) or "―")

    def label(self, person_id: str | None) -> str:
        member = self.members.get(person_id) if person_id else None
        if member is None:
            return HOUSEHOLD
        return f"{member.relation}（{self.name(member)}）" if member.relation else self.name(member)

    def mask(self, text: str) -> str:
        text = text or ""
        if self.full:
            return text
        for name, shown_name in self.replacements:
            text = text.replace(name, shown_name)
        for part in self.parts:
            text = text.replace(part, MASK)
        return text

    def speaker(self, participant: str, organisation: str) -> str:
        member = self.by_name.get("".join((participant or "").split()))
        if member is not None:
            return member.relation or self.name(member)
        if (participant or "").strip() in ("本人", "家族"):
            return participant.strip()
        return organisation.strip() if (organisation or "").strip() else SPEAKER_UNKNOWN


def find_case(store: Store, case_info, on: date) -> str | None:
    """The 支援ケース discussed: the conference case's own, else the household's open on ``on``,
    else the one closed most recently before it."""
    named = getattr(case_info, "case_id", None)
    if named:
        return named
    found = [c for c in case_views.list_cases(store, household_id=case_info.household_id) if c.opened_on <= on]
    open_then = [c for c in found if c.closed_on is None or c.closed_on >= on]
    if open_then:
        return max(open_then, key=lambda c: c.opened_on).id
    closed = [c for c in found if c.closed_on is not None]
    return max(closed, key=lambda c: c.closed_on).id if closed else None


def _status_on(detail: case_views.CaseDetail, on: date) -> str:
    steps = [h for h in detail.history if h.changed_on <= on]
    return steps[-1].status if steps else detail.summary.status


def _review_on(goal: case_views.Goal, checks) -> date | None:
    due: date | None = goal.review_on
    for c in checks:
        if c.progress in GOAL_ENDED:
            due = None
        elif c.next_review_on is not None:
            due = c.next_review_on
    return due


def _who(action: case_views.Action, namer: Namer) -> str:
    if action.who_kind == "resident":  # a neighbour's name is not the meeting's to read
        return action.who_label if not namer.full else f"{action.who_label}：{action.who}"
    if action.who_kind == "family":
        who = namer.mask(action.who)
        return action.who_label if who in ("", "本人") and not namer.full else f"{action.who_label}（{who}）"
    return f"{action.who_label}：{action.who}"


def _goal(goal: case_views.Goal, on: date, namer: Namer) -> PlanGoal:
    checks = [c for c in goal.monitoring if c.monitored_on <= on]
    last = ""
    if checks:
        c = checks[-1]
        last = f"{format_wareki(c.monitored_on)}　{c.progress_label}" + (f"：{namer.mask(c.note)}" if c.note else "")
    actions = tuple(PlanAction(_who(a, namer), namer.mask(a.what), a.due_on) for a in goal.actions)
    return PlanGoal(namer.label(goal.person_id), namer.mask(goal.text), _review_on(goal, checks), actions, last)


def _plan_part(detail: case_views.CaseDetail, on: date, namer: Namer) -> dict:
    plans = [p for p in detail.plans if p.made_on <= on]
    part: dict = {}
    if plans:
        plan = plans[-1]
        part.update(plan_version=plan.version, plan_made_on=plan.made_on, policy=namer.mask(plan.policy),
                    goals=tuple(_goal(g, on, namer) for g in plan.goals),
                    missing_resources=tuple(namer.mask(m) for m in plan.missing_resources))
    closed = detail.summary.closed_on
    evaluations = [e for e in detail.evaluations if e.closed_on <= on]
    if closed is not None and closed <= on and evaluations:
        e = evaluations[-1]
        part["evaluation"] = Evaluation(e.closed_on, namer.mask(e.reason), namer.mask(e.changes),
                                        namer.mask(e.worked))
    return part


def _assessment_part(detail: case_views.CaseDetail, on: date, namer: Namer) -> dict:
    views = [v for v in detail.assessment if v.recorded_on <= on]

    def lines(field: str) -> tuple[AssessmentLine, ...]:
        return tuple(AssessmentLine(namer.label(v.person_id), namer.speaker(v.participant, v.organisation),
                                    namer.mask(getattr(v, field)))
                     for v in views if getattr(v, field).strip())

    return {"problems": lines("problem"), "strengths": lines("strength")}


def case_work(store: Store, conference, case_info, household, shown: set[str]) -> CaseWork | None:
    """The case work a handout prints for ``case_info`` of ``conference`` (a ConferenceDetail),
    ``household`` being the household as the handout read it (its members)."""
    if conference.meeting_type not in (MULTI_AGENCY_CONFERENCE, SUPPORT_CONFERENCE):
        return None
    on = conference.held_on
    case_id = find_case(store, case_info, on)
    if case_id is None:
        return None
    try:
        detail = case_views.get_case(store, case_id, log=False)
    except NotFound:  # a case removed since it was linked (another device): the handout goes on without it
        return None
    if detail.summary.opened_on > on:
        return None
    namer = Namer(household.members, shown)
    if conference.meeting_type == MULTI_AGENCY_CONFERENCE:
        part = _plan_part(detail, on, namer)
    else:
        part = _assessment_part(detail, on, namer)
    return CaseWork(_status_on(detail, on), detail.summary.opened_on, **part)
