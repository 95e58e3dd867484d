"""Conference handouts from the store (DESIGN §6): the consent gate, the minimised content,
one numbered copy per member, the register entry for each copy.

Minimised by default: a case is named by its household code and the head's initials, members
by initials and age band; no address, phone or birth date; nothing tax-derived (the household's
tax note, contacts marked as learnt from tax records); no free-text notes of the household or
its members; never the minutes. A conference may choose to show name, address, phone or birth
date in full (``ConferenceDraft.disclosures``, saved by ``conferences.save_conference`` and
audited as ``conference.disclosure``).

Copies per member (issue 18): each member's copy holds only the cases they sit for
(``conference_case_member``; a case naming no members has everyone) and, for a 重層的支援会議,
that the 本人's consent covers their organisation for (``conference_consent.uncovered_seats``; the
coordinator is told before printing through ``HandoutCheck.uncovered``). Members with the same
cases share one layout; numbering and the register stay one copy per member. A meeting with a
topic and no household (地域資源の検討) prints its topic in the agenda; a meeting held as an
existing body (``body``) names it there too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.people import age_band, initials
from shakyo_desk.domain.vocab import SUPPORT_CONFERENCE
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.reports import handout_pdf
from shakyo_desk.reports.handout_plan import case_work
from shakyo_desk.reports.handout_content import CaseSection, Copy, HandoutContent, HouseholdRow, Member, Role, TimelineEntry
from shakyo_desk.store.services import conference_consent, conferences, contacts, council, handout_register, households, sheets
from shakyo_desk.store.services._common import log_view
from shakyo_desk.store.services.conference_consent import MissingConsent, UncoveredSeat
from shakyo_desk.store.services.conferences import ConferenceDetail, MemberInfo
from shakyo_desk.store.store import Store
from shakyo_desk.domain import clock

PAST_DAYS = 90  # a handout for a meeting longer ago than this is almost surely a wrong date
TIMELINE_ROWS = 12  # the latest contacts, sheets and conferences, condensed
TIMELINE_TEXT = 80  # characters of a contact's note on the handout
SAMPLE = "見本（配布しないでください）"


class ConsentRefused(InvalidInput):
    """A 重層的支援会議 handout for cases whose persons have not consented (DESIGN §6)."""

    def __init__(self, missing: list[MissingConsent]):
        # Each person's reason, as the screen says it: no consent, or one dated after the meeting.
        reasons = "".join(conference_consent.missing_consent_text(m) for m in missing)
        super().__init__(f"重層的支援会議の資料は、会議の日に本人の同意がある場合にだけ作成できます。{reasons}"
                         "直してから、もう一度作成してください。")
        self.missing = missing


@dataclass(frozen=True)
class HandoutCheck:
    missing_consent: list[MissingConsent]  # non-empty: the consent gate refuses
    unacknowledged: list[MemberInfo]  # members without a confidentiality acknowledgement: warn first
    problems: list[str]  # Japanese sentences for what else blocks (no members, no cases)
    # A member whose organisation the 本人's consent does not name: their copy goes without the
    # case (warned about before printing, like unacknowledged members; UncoveredSeat.text says it).
    uncovered: list[UncoveredSeat] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing_consent and not self.problems


@dataclass(frozen=True)
class HandoutExport:
    paths: list[Path]
    copies: int
    first_number: int


def check_handout(store: Store, conference_id: str, today: date | None = None) -> HandoutCheck:
    detail = conferences.get_conference(store, conference_id, log=False)
    today = today or clock.today()
    problems = []
    if (today - detail.held_on).days > PAST_DAYS:
        problems.append(f"この会議の日付（{format_wareki(detail.held_on)}）は{PAST_DAYS}日以上前です。"
                        "会議の日付を確かめてください。会議資料は会議の前に作ります。")
    if not detail.members:
        problems.append("構成員が登録されていません。配布先になる構成員を追加してください。")
    if not detail.cases and not detail.topic:
        problems.append("検討するケースがありません。ケース（世帯）を追加してください。")
    return HandoutCheck(conference_consent.missing_consent(store, conference_id),
                        conferences.unacknowledged_members(store, conference_id), problems,
                        conference_consent.uncovered_seats(store, conference_id))


def _refuse_unless_ok(check: HandoutCheck) -> None:
    if check.missing_consent:
        raise ConsentRefused(check.missing_consent)
    if check.problems:
        raise InvalidInput(check.problems[0])


def build_content(store: Store, conference_id: str) -> HandoutContent:
    """What every copy prints, minimised as the conference's disclosures allow."""
    detail = conferences.get_conference(store, conference_id, log=False)
    settings = council.get_settings(store)
    shown = set(detail.disclosures)
    support = detail.meeting_type == SUPPORT_CONFERENCE
    return HandoutContent(
        council_name=settings.name, meeting_type=detail.type_label,
        legal_basis=detail.legal_basis_label if support else "",
        title=detail.title or f"{detail.body or detail.type_label}（{format_wareki(detail.held_on)}）",
        held_on=detail.held_on, place=detail.place, convenor=detail.convenor,
        agenda=_agenda(detail),
        members=tuple(Member(m.name, m.organisation) for m in detail.members),
        confidentiality_notice=settings.confidentiality_notice if support else None,
        cases=tuple(_case(store, detail, n, shown) for n, _ in enumerate(detail.cases, 1)),
        time_text="〜".join(t for t in (detail.start_time, detail.end_time) if t),
    )


def _agenda(detail: ConferenceDetail) -> tuple[str, ...]:
    lines = []
    if detail.body:
        lines.append(f"会議体：{detail.body}（{detail.type_label}として開催）")
    if detail.topic:
        lines.append(f"検討するテーマ：{' '.join(detail.topic.split())}")
    return tuple(lines) + tuple(line.strip() for line in detail.agenda.splitlines() if line.strip())


def member_cases(store: Store, detail: ConferenceDetail) -> dict[str, tuple[int, ...]]:
    """The cases (indexes into ``detail.cases``) each member's copy holds: those they sit for,
    less those the 本人's consent does not cover their organisation for."""
    uncovered = {(u.member_id, u.case_id) for u in conference_consent.uncovered_seats(store, detail.id)}
    return {m.id: tuple(i for i, c in enumerate(detail.cases) if c.seats(m.id) and (m.id, c.id) not in uncovered)
            for m in detail.members}


def _contents_by_copy(store: Store, detail: ConferenceDetail, content: HandoutContent,
                      numbered: list[tuple[Copy, MemberInfo]]) -> dict[int, HandoutContent]:
    """Each copy's content: the whole when a member sees every case, else the same content with
    only their cases (one object per set of cases, so the PDF lays each set out once)."""
    by_member = member_cases(store, detail)
    every = tuple(range(len(detail.cases)))
    variants: dict[tuple[int, ...], HandoutContent] = {every: content}
    result = {}
    for copy, member in numbered:
        chosen = by_member.get(member.id, every)
        if chosen not in variants:
            variants[chosen] = replace(content, cases=tuple(content.cases[i] for i in chosen))
        result[copy.copy_number] = variants[chosen]
    return result


def _case(store: Store, detail: ConferenceDetail, number: int, shown: set[str]) -> CaseSection:
    case = detail.cases[number - 1]
    household = households.get_household(store, case.household_id, log=False)
    on = detail.held_on
    head = household.members[0] if household.members else None
    head_text = _name(head, shown) if head else ""
    label = f"ケース{number}　{household.code}" + (f"（{head_text}様世帯）" if head_text else "")

    composition = tuple(
        HouseholdRow(p.relation, _name(p, shown) or "―",
                     age_band(p.birth_date, on, p.age_band), "" if p.sex == "不明" else p.sex, p.flags)
        for p in household.members)
    facts = []
    if household.flags:
        facts.append(("世帯の状況", "、".join(household.flags)))
    if "address" in shown and household.address:
        facts.append(("住所", household.address))
    if "phone" in shown and household.phone:
        facts.append(("電話番号", household.phone))
    born = [f"{p.relation}　{format_wareki(p.birth_date)}" for p in household.members if p.birth_date]
    if "birth_date" in shown and born:
        facts.append(("生年月日", "、".join(born)))

    their_sheets = [sh for sh in sheets.list_sheets(store, household_id=case.household_id) if sh.noticed_on <= on]
    their_contacts = [c for c in contacts.list_contacts(store, household_id=case.household_id, date_to=on, limit=None)
                      if not c.tax_derived]
    earlier = [h for h in conferences.household_conferences(store, case.household_id)
               if h.conference_id != detail.id and h.held_on <= on]

    concerns: list[str] = []
    for sh in their_sheets:
        if sh.status != "終結":
            concerns += [c for c in sh.concerns if c not in concerns]
    for c in their_contacts[:TIMELINE_ROWS]:
        concerns += [x for x in c.concerns if x not in concerns]
    strengths = [sh.strengths for sh in their_sheets if sh.strengths]
    strengths += [f"支え手になれそうか：{sh.possible_supporter}" for sh in their_sheets if sh.possible_supporter]
    wishes = "\n".join(f"{p.relation}：{p.wishes}" for p in household.members if p.wishes)
    if not wishes and their_sheets:
        wishes = f"本人の意思（支援を望んでいるか）：{their_sheets[0].wish_for_help}"

    timeline = [TimelineEntry(c.contact_date, c.method, _short(c.seen_heard) or ("会えなかった" if c.failed else ""))
                for c in their_contacts]
    timeline += [TimelineEntry(sh.noticed_on, "把握シート", f"{'・'.join(sh.concerns)}（{sh.urgency}、{sh.status}）")
                 for sh in their_sheets]
    timeline += [TimelineEntry(h.held_on, "会議", h.type_label + (f"：{_short(h.support_policy)}" if h.support_policy else ""))
                 for h in earlier]
    timeline = sorted(timeline, key=lambda e: e.on)[-TIMELINE_ROWS:]

    # The plan in force before this meeting: the last earlier conference's, else a draft on the case.
    last = max(earlier, key=lambda h: h.held_on, default=None)
    plan_source = last if last is not None and last.support_policy else case
    plan = plan_source.support_policy
    lead = plan_source.lead_agency
    roles = tuple(Role(r.agency, r.role) for r in plan_source.roles)
    if lead and not any(r.agency == lead for r in roles):
        roles = (Role(lead, "主担当"),) + roles
    return CaseSection(label, composition, tuple(concerns), tuple(timeline), tuple(strengths), wishes, plan, roles,
                       case.question, tuple(facts), case_work(store, detail, case, household, shown))


def _name(person, shown: set[str]) -> str:
    if "full_name" in shown:
        return person.name
    return initials(person.kana)


def _short(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= TIMELINE_TEXT else text[: TIMELINE_TEXT - 1] + "…"


def _copies(store: Store, detail: ConferenceDetail) -> list[tuple[Copy, MemberInfo]]:
    first = handout_register.next_copy_number(store, detail.id)
    total = first + len(detail.members) - 1
    return [(Copy(first + i, _recipient(m), total), m) for i, m in enumerate(detail.members)]


def _recipient(member: MemberInfo) -> str:
    return f"{member.organisation}　{member.name} 様" if member.organisation else f"{member.name} 様"


def preview_pdf(store: Store, conference_id: str) -> bytes:
    """One sample copy to look at before making the real ones (not registered, not numbered
    for anyone). The gate applies to previews too: nothing refused is ever rendered."""
    _refuse_unless_ok(check_handout(store, conference_id))
    log_view(store, "conference", conference_id)
    return handout_pdf.handout_pdf_bytes(build_content(store, conference_id), [Copy(1, SAMPLE)])


def export_handout(store: Store, conference_id: str, out: Path, *, separate: bool = False) -> HandoutExport:
    """One numbered copy per member, into the PDF ``out`` or (``separate``) one PDF per member
    in the folder ``out``. The copies are registered only once every file is complete, in
    the same transaction as the audit entry; any failure leaves no file and no register entry."""
    _refuse_unless_ok(check_handout(store, conference_id))
    detail = conferences.get_conference(store, conference_id, log=False)
    content = build_content(store, conference_id)
    numbered = _copies(store, detail)
    copies = [c for c, _ in numbered]
    by_copy = _contents_by_copy(store, detail, content, numbered)
    out = Path(out)
    names: list[str] = []

    def register() -> None:
        handout_register.record_copies(
            store, conference_id, [(c.copy_number, c.recipient, m.id) for c, m in numbered],
            export_detail={"files": names, "separate": separate})

    if separate:
        names += [handout_pdf.copy_file_name(content, c) for c in copies]
        paths = handout_pdf.render_copies_separately(content, copies, out, before_rename=register,
                                                     contents_by_copy=by_copy)
    else:
        names.append(out.name)
        paths = [handout_pdf.render_handout(content, copies, out, before_rename=register, contents_by_copy=by_copy)]
    return HandoutExport(paths, len(copies), copies[0].copy_number)


def print_handout(store: Store, conference_id: str) -> bytes:
    """The numbered copies to send to a printer; registered as made now."""
    _refuse_unless_ok(check_handout(store, conference_id))
    detail = conferences.get_conference(store, conference_id, log=False)
    numbered = _copies(store, detail)
    content = build_content(store, conference_id)
    data = handout_pdf.handout_pdf_bytes(content, [c for c, _ in numbered],
                                         contents_by_copy=_contents_by_copy(store, detail, content, numbered))
    handout_register.record_copies(store, conference_id, [(c.copy_number, c.recipient, m.id) for c, m in numbered],
                                   export_detail={"printed": True})
    return data
