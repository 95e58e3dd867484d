"""Household timeline: everything about a household in one chronological view."""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.domain.vocab import CASE_CLOSED, MONITORING_PROGRESS
from shakyo_desk.store.models import (
    Agency, Attendance, CaseEvaluation, CaseStatusChange, ConcernSheet, Contact, Monitoring, Person, Place, PlanGoal,
    Referral, Salon, SalonSession, SheetStatusChange, Staff, SupportPlan,
)
from shakyo_desk.store.services._common import log_view
from shakyo_desk.store.services.conferences import case_history
from shakyo_desk.store.services.households import require_household
from shakyo_desk.store.store import Store

KINDS = {
    "contact": "訪問記録",
    "sheet": "把握シート",
    "status": "シートの状況",
    "attendance": "サロン参加",
    "referral": "つなぎ",
    "conference": "会議",
    "case": "支援ケース",
}
# How a monitoring record reads in the timeline (MONITORING_PROGRESS's short labels, whole).
PROGRESS_WORDS = {"achieved": "達成", "partly": "一部達成", "not-yet": "未達成", "stopped": "中止"}


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    on: date
    title: str
    detail: str
    by: str
    ref_id: str
    recorded_at: datetime

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


def _conference_entry(h) -> TimelineEntry:
    """A conference the household was discussed at: the question, then what was decided."""
    title = h.type_label + (f"「{h.title}」" if h.title else "") + (f"（{h.place}）" if h.place else "")
    lines = [f"検討したこと：{h.question}" if h.question else ""]
    if h.support_policy:
        lines.append(f"支援方針：{h.support_policy}")
    if h.lead_agency:
        lines.append(f"主担当：{h.lead_agency}")
    lines += [f"役割：{r.agency}　{r.role}" for r in h.roles]
    if h.next_review_on:
        lines.append(f"次回の見直し：{format_wareki(h.next_review_on)}")
    return TimelineEntry("conference", h.held_on, title, "\n".join(x for x in lines if x), h.recorded_by,
                         h.conference_id, h.recorded_at)


def _case_entries(s, household_id: str) -> list[TimelineEntry]:
    """A case's steps: opened, each status move (a reopening said as such), each plan version,
    each monitoring record, the closure with its evaluation."""
    def live(model):
        return sa.and_(model.household_id == household_id, model.deleted_at.is_(None))

    entries: list[TimelineEntry] = []
    evaluations: dict[tuple[str, date], object] = {
        (e.case_id, e.closed_on): e for e in s.execute(sa.select(CaseEvaluation).where(live(CaseEvaluation))).scalars()}
    previous: dict[str, str] = {}
    for ch, by in s.execute(sa.select(CaseStatusChange, Staff.display_name)
                            .outerjoin(Staff, Staff.id == CaseStatusChange.created_by)
                            .where(live(CaseStatusChange))
                            .order_by(CaseStatusChange.changed_on, CaseStatusChange.created_at)):
        before = previous.get(ch.case_id)
        previous[ch.case_id] = ch.status
        detail = ch.note
        if before is None:
            title = "支援ケースを開始（受付）"
        elif before == CASE_CLOSED:
            title = f"支援ケースを再開（{ch.status}から）"
        elif ch.status == CASE_CLOSED:
            title = "支援ケースを終結"
            e = evaluations.get((ch.case_id, ch.changed_on))
            if e is not None:
                detail = "\n".join(x for x in (f"理由：{e.reason}", f"世帯に何が変わったか：{e.changes}",
                                                f"うまくいったこと：{e.worked}" if e.worked else "") if x)
        else:
            title = f"支援ケースの状況：{ch.status}"
        entries.append(TimelineEntry("case", ch.changed_on, title, detail, by or "", ch.case_id, ch.created_at))
    goals: dict[str, int] = dict(s.execute(sa.select(PlanGoal.plan_id, sa.func.count()).where(live(PlanGoal))
                                           .group_by(PlanGoal.plan_id)).all())
    for p, by in s.execute(sa.select(SupportPlan, Staff.display_name).outerjoin(Staff, Staff.id == SupportPlan.created_by)
                           .where(live(SupportPlan))):
        title = "支援プランを作成（第1版）" if p.version == 1 else f"支援プランを改訂（第{p.version}版）"
        detail = "\n".join(x for x in (f"支援方針：{p.policy}" if p.policy else "",
                                       f"目標：{goals.get(p.id, 0)}件") if x)
        entries.append(TimelineEntry("case", p.made_on, title, detail, by or "", p.case_id, p.created_at))
    for m, goal, by in s.execute(sa.select(Monitoring, PlanGoal.text, Staff.display_name)
                                 .join(PlanGoal, PlanGoal.id == Monitoring.goal_id)
                                 .outerjoin(Staff, Staff.id == Monitoring.created_by).where(live(Monitoring))):
        progress = PROGRESS_WORDS.get(m.progress, MONITORING_PROGRESS.get(m.progress, m.progress))
        detail = "\n".join(x for x in (m.note, f"次の見直し：{format_wareki(m.next_review_on)}"
                                       if m.next_review_on else "") if x)
        entries.append(TimelineEntry("case", m.monitored_on, f"モニタリング：{goal}（{progress}）", detail, by or "",
                                     m.case_id, m.created_at))
    return entries


def household_timeline(store: Store, household_id: str, kinds: set[str] | None = None,
                       date_from: date | None = None, date_to: date | None = None, *, log: bool = True) -> list[TimelineEntry]:
    """Newest first. Viewing is recorded in the audit log like opening the household."""
    require_household(store, household_id)
    kinds = kinds or set(KINDS)
    entries: list[TimelineEntry] = []
    with store.read() as s:
        if "contact" in kinds:
            for c, by, place in s.execute(
                sa.select(Contact, Staff.display_name, Place.name).outerjoin(Staff, Staff.id == Contact.staff_id)
                .outerjoin(Place, Place.id == Contact.place_id)
                .where(Contact.household_id == household_id, Contact.deleted_at.is_(None))
            ):
                title = c.method + ("（会えず）" if c.method == "不在" else "")
                if c.concerns:
                    title += "　" + "・".join(c.concerns)
                detail = c.seen_heard + (f"\n次に：{c.next_action}" if c.next_action else "")
                entries.append(TimelineEntry("contact", c.contact_date, title, detail, by or "", c.id, c.created_at))
        sheet_ids = []
        if kinds & {"sheet", "status"}:
            for sh, by in s.execute(
                sa.select(ConcernSheet, Staff.display_name).outerjoin(Staff, Staff.id == ConcernSheet.noticed_by)
                .where(ConcernSheet.household_id == household_id, ConcernSheet.deleted_at.is_(None))
            ):
                sheet_ids.append(sh.id)
                if "sheet" in kinds:
                    entries.append(TimelineEntry("sheet", sh.noticed_on, f"把握シート（{sh.urgency}）　" + "・".join(sh.concerns),
                                                 sh.situation, by or "", sh.id, sh.created_at))
        if "status" in kinds and sheet_ids:
            for ch, by, agency in s.execute(
                sa.select(SheetStatusChange, Staff.display_name, Agency.name)
                .outerjoin(Staff, Staff.id == SheetStatusChange.created_by)
                .outerjoin(Agency, Agency.id == SheetStatusChange.agency_id)
                .where(SheetStatusChange.sheet_id.in_(sheet_ids), SheetStatusChange.deleted_at.is_(None),
                       SheetStatusChange.status != "受付")
            ):
                title = f"シートの状況：{ch.status}" + (f"（{agency}）" if agency else "")
                entries.append(TimelineEntry("status", ch.changed_on, title, ch.note, by or "", ch.sheet_id, ch.created_at))
        if "attendance" in kinds:
            for session_date, salon, person, session_id, created in s.execute(
                sa.select(SalonSession.session_date, Salon.name, Person.name, SalonSession.id, Attendance.created_at)
                .join(Attendance, Attendance.session_id == SalonSession.id)
                .join(Person, Person.id == Attendance.person_id)
                .join(Salon, Salon.id == SalonSession.salon_id)
                .where(Person.household_id == household_id, Attendance.deleted_at.is_(None),
                       SalonSession.deleted_at.is_(None))
            ):
                entries.append(TimelineEntry("attendance", session_date, f"サロン「{salon}」に参加", person, "", session_id, created))
        if "referral" in kinds:
            for r, agency, by in s.execute(
                sa.select(Referral, Agency.name, Staff.display_name).join(Agency, Agency.id == Referral.agency_id)
                .outerjoin(Staff, Staff.id == Referral.created_by)
                .where(Referral.household_id == household_id, Referral.deleted_at.is_(None))
            ):
                detail = r.reason + (f"\n結果：{r.outcome}　{r.outcome_note}".rstrip() if r.outcome != "確認中" else "")
                entries.append(TimelineEntry("referral", r.referred_on, f"{agency}へつなぐ（{r.outcome}）", detail,
                                             by or "", r.id, r.created_at))
        if "conference" in kinds:
            entries.extend(_conference_entry(h) for h in case_history(s, household_id))
        if "case" in kinds:
            entries.extend(_case_entries(s, household_id))
    entries = [e for e in entries if (not date_from or e.on >= date_from) and (not date_to or e.on <= date_to)]
    entries.sort(key=lambda e: (e.on, e.recorded_at), reverse=True)
    if log:
        log_view(store, "household", household_id)
    return entries
