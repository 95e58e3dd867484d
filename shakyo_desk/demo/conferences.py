"""Case conferences for the demo (issue 5): 支援会議, 重層的支援会議, ケース検討会 and 地域ケア会議
with members (a few without a recorded confidentiality acknowledgement), cases with the
question and what was decided, consents of the persons discussed at 重層的支援会議 (a few
missing, given too late or withdrawn, so the consent gate has something to say), handout
copies (nearly all collected and destroyed; a few recent ones still out, one or two past the
retention period) and a few households' tax notes.

Pure, seeded plan step and write steps through ``Writer.insert`` like ``fieldwork``.
Values are what the services would accept: members and (except 地域ケア会議) cases on every
conference, reviews after the meeting, consents given before today, copies collected and
destroyed after they were made. Review dates are kept only where a review is still current
(the household's latest conference, due from three weeks ago on), so the follow-up list shows
a handful, as in a council that holds its reviews."""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from shakyo_desk.demo import names as N
from shakyo_desk.demo.fieldwork import (
    PersonRef, _chunks, _in_charge, _logins, _next_workday, _start, _store_for, _workday,
)
from shakyo_desk.demo.village import People, Plan, PlanStep, WriteContext, WriteStep
from shakyo_desk.domain.roles import Role
from shakyo_desk.domain.vocab import CONFERENCE_TYPES, DEFAULT_LEGAL_BASIS, LEGAL_BASES

TYPE_WEIGHTS = {"support": 35, "multi-agency": 25, "case-review": 30, "community-care": 10}
PRINTED = {"support", "multi-agency", "community-care"}  # handouts are made for these
ADULT = 18


# ---- plan records ------------------------------------------------------------------


@dataclass
class ConsentPlan:
    person: PersonRef
    given_on: date
    types: list[str]
    agencies: list[str]
    method: str
    by: str  # login
    withdrawn_on: date | None = None
    note: str = ""


@dataclass
class MemberPlan:
    name: str
    organisation: str
    acknowledged_on: date | None


@dataclass
class CasePlan:
    household: int
    question: str
    support_policy: str = ""
    lead_agency: str = ""
    roles: list[dict] = field(default_factory=list)
    next_review: date | None = None


@dataclass
class CopyPlan:
    number: int
    recipient: str
    member: int | None  # index in the conference's members
    made_on: date
    collected_on: date | None
    destroyed_on: date | None


@dataclass
class ConferencePlan:
    meeting_type: str
    legal_basis: str
    held_on: date
    start_time: str
    end_time: str
    title: str
    place: str
    convenor: str
    agenda: str
    by: str  # login of the coordinator who records it
    members: list[MemberPlan]
    cases: list[CasePlan]
    minutes: str = ""
    disclosures: list[str] = field(default_factory=list)
    copies: list[CopyPlan] = field(default_factory=list)
    consent_gap: bool = False  # one adult discussed here has not been asked for consent yet


# ---- plan --------------------------------------------------------------------------


def _people_pool(plan: Plan, rng: random.Random) -> dict[str, list[str]]:
    """A few regular attendees per agency (made up, stable for the plan)."""
    pp = People(rng, plan.today)
    pool: dict[str, list[str]] = {}
    for agency in plan.agencies:
        pool[agency.name] = [pp.person(pp.surname(), pp.sex(0.6), rng.randint(28, 60), "本人").name
                             for _ in range(rng.randint(2, 4))]
    return pool


def _question(rng: random.Random, plan: Plan, hi: int, concerns: dict[int, list[str]], meeting_type: str) -> str:
    """A 支援会議 asks what a 支援会議 exists for (sharing what is known of a household that has not
    agreed, whom to involve, how to approach); the other meetings coordinate services."""
    pool = N.SUPPORT_MEETING_QUESTIONS if meeting_type == "support" else N.SERVICE_COORDINATION_QUESTIONS
    h = plan.households[hi]
    keys = [k for k in pool if k in h.flags or k in concerns.get(hi, ())]
    return rng.choice(pool[rng.choice(keys)] if keys else pool["other"])


def declined_households(plan: Plan) -> set[int]:
    """Households whose person said no to help (a sheet noting no wish for it, a referral declined):
    a 重層的支援会議 needs the person's consent, so their cases go to a 支援会議 instead."""
    declined = {s.household for s in plan.sheets if s.household is not None and s.wish == "希望なし"}
    return declined | {r.household for r in plan.referrals if r.household is not None and r.outcome == "本人が辞退"}


def _members(plan: Plan, rng: random.Random, meeting_type: str, held_on: date, cases: list[int],
             pool: dict[str, list[str]]) -> list[MemberPlan]:
    council = plan.council_name.replace("（デモ）", "")
    staff = [s for s in plan.staff if s.role in (Role.COORDINATOR.value, Role.STAFF.value)]
    members: list[tuple[str, str]] = []
    if meeting_type == "case-review":  # internal: council staff only
        for s in rng.sample(staff, min(len(staff), rng.randint(3, 5))):
            members.append((s.display_name, council))
    else:
        coordinator = rng.choice([s for s in staff if s.role == Role.COORDINATOR.value] or staff)
        members.append((coordinator.display_name, council))
        size = {"support": (4, 9), "multi-agency": (3, 7), "community-care": (5, 10)}[meeting_type]
        agencies = rng.sample(plan.agencies, min(len(plan.agencies), rng.randint(*size)))
        for agency in agencies:
            members.append((rng.choice(pool[agency.name]), agency.name))
        for hi in cases[:2]:  # the 民生委員 of the case's settlement
            commissioner = plan.households[hi].welfare_commissioner
            if commissioner and all(commissioner != name for name, _ in members):
                members.append((commissioner, f"民生委員（{_district(plan, plan.households[hi].district)}）"))
    share = {"support": 0.9, "multi-agency": 0.6, "case-review": 0.3, "community-care": 0.7}[meeting_type]
    result = []
    for name, organisation in members:
        acknowledged = held_on if rng.random() < share and held_on <= plan.today else None
        result.append(MemberPlan(name, organisation, acknowledged))
    return result


def _district(plan: Plan, key: str) -> str:
    return next(d.name for d in plan.districts if d.key == key)


def _outcome(plan: Plan, rng: random.Random, case: CasePlan, members: list[MemberPlan], meeting_type: str) -> None:
    policies = N.SUPPORT_POLICIES
    if meeting_type == "multi-agency":  # the person agreed: no 「無理に支援を勧めない」
        policies = [p for p in policies if p != N.RELUCTANT_POLICY]
    case.support_policy = rng.choice(policies)
    organisations = [m.organisation for m in members]
    roles = []
    for keyword, role in rng.sample(N.ROLE_TEMPLATES, rng.randint(1, 3)):
        agency = next((o for o in organisations if keyword in o), None)
        if keyword == "社協":
            agency = plan.council_name.replace("（デモ）", "")
        if agency and all(r["agency"] != agency for r in roles):
            roles.append({"agency": agency, "role": role})
    case.roles = roles
    case.lead_agency = roles[0]["agency"] if roles else plan.council_name.replace("（デモ）", "")


def _copies(rng: random.Random, conference: ConferencePlan, today: date, retention: int = 30) -> None:
    made_on = _workday(conference.held_on - timedelta(days=rng.randint(0, 3)), rng)
    if made_on > today:
        return  # not printed yet
    age = (today - conference.held_on).days
    for number, member in enumerate(conference.members, start=1):
        collected = destroyed = None
        if age >= 0:
            if rng.random() < (0.97 if age > 60 else 0.85):
                collected = conference.held_on
            if collected and age > 14 and rng.random() < (0.995 if age > retention + 60 else 0.8):
                destroyed = min(today, conference.held_on + timedelta(days=rng.randint(1, 14)))
            elif collected is None and age > 60 and rng.random() < 0.97:
                destroyed = conference.held_on + timedelta(days=rng.randint(1, 30))  # destroyed by the member
        conference.copies.append(CopyPlan(number, f"{member.name}（{member.organisation}）", number - 1, made_on,
                                          collected, destroyed))


def _consents(plan: Plan, rng: random.Random, conferences: list[ConferencePlan]) -> list[ConsentPlan]:
    """Consents of the adults discussed at 重層的支援会議 (mostly before it), and a few more."""
    in_charge = _in_charge(plan)
    coordinators = _logins(plan, Role.COORDINATOR)
    result: list[ConsentPlan] = []
    covered: dict[PersonRef, date] = {}
    withheld: set[PersonRef] = set()  # the consent gate's example: never asked, at any meeting
    multi = [c for c in sorted(conferences, key=lambda c: c.held_on) if c.meeting_type == "multi-agency"]
    last_multi: dict[int, date] = {}
    for conference in multi:
        for case in conference.cases:
            last_multi[case.household] = conference.held_on
    for conference in multi:
        agencies = sorted({m.organisation for m in conference.members if "民生委員" not in m.organisation})
        gap = conference.consent_gap
        for case in conference.cases:
            h = plan.households[case.household]
            by = in_charge.get(h.district) or rng.choice(coordinators)
            for m, person in enumerate(h.members):
                ref = (case.household, m)
                if person.age < ADULT or ref in withheld or (ref in covered and covered[ref] <= conference.held_on):
                    continue
                roll = rng.random()
                if gap:
                    gap = False
                    withheld.add(ref)
                if roll < 0.06 or ref in withheld:
                    continue  # not asked yet: the consent gate names this person
                given = conference.held_on - timedelta(days=rng.randint(3, 45))
                if roll < 0.09:
                    given = conference.held_on + timedelta(days=rng.randint(1, 20))  # asked only afterwards
                given = min(given, plan.today)
                types = rng.choice([["multi-agency"], ["multi-agency"], ["support", "multi-agency"], list(CONFERENCE_TYPES)])
                consent = ConsentPlan(ref, given, types, agencies if rng.random() < 0.5 else [],
                                      "書面" if rng.random() < 0.85 else "口頭", by)
                if rng.random() < 0.05 and given + timedelta(days=30) < plan.today:
                    withdrawn = min(plan.today, given + timedelta(days=rng.randint(30, 400)))
                    if withdrawn > last_multi[case.household]:  # never before a meeting that discussed them
                        consent.withdrawn_on = withdrawn
                        consent.note = "本人から撤回の申し出があった。"
                result.append(consent)
                if consent.withdrawn_on is None and given <= conference.held_on:
                    covered[ref] = given
    return result


def plan_conferences(plan: Plan, rng: random.Random) -> None:
    profile = plan.profile
    today, start = plan.today, _start(plan)
    span = max(1, (today - start).days)
    coordinators = _logins(plan, Role.COORDINATOR) or [s.login for s in plan.staff]
    if not plan.households or not coordinators:
        return
    pool = _people_pool(plan, rng)
    concerns: dict[int, list[str]] = {}
    for sheet in plan.sheets:
        if sheet.household is not None:
            concerns.setdefault(sheet.household, []).extend(sheet.concerns)
    weights = []
    for i, h in enumerate(plan.households):
        w = 1.0 + 6.0 * (i in concerns)
        w += 4.0 * bool({"8050", "ひとり親", "身寄りなし"} & set(h.flags)) + 2.0 * (h.watch_level == "高")
        weights.append(w)
    indices = list(range(len(plan.households)))
    declined = declined_households(plan)
    municipality = plan.municipality
    council = plan.council_name.replace("（デモ）", "")
    conferences: list[ConferencePlan] = []
    for n in range(profile.conferences):
        meeting_type = rng.choices(list(TYPE_WEIGHTS), weights=list(TYPE_WEIGHTS.values()))[0]
        upcoming = profile.conferences - max(2, profile.conferences // 40)
        if n >= upcoming:
            held_on = _next_workday(today + timedelta(days=rng.randint(3, 30)))  # prepared, not held yet
            # Handouts to prepare, whatever the date today: a 支援会議 and a 重層的支援会議,
            # the first of which is the consent gate's gap (see _consents).
            meeting_type = {upcoming: "multi-agency", upcoming + 1: "support"}.get(n, meeting_type)
        else:
            back = rng.random() if rng.random() < 0.6 else 1 - rng.random() ** 0.5  # more in recent years
            held_on = _workday(today - timedelta(days=min(span, int(span * back))), rng)
            if n < len(TYPE_WEIGHTS):  # every kind of meeting has been held at least once
                meeting_type = list(TYPE_WEIGHTS)[n]
        count = {"support": (1, 4), "multi-agency": (1, 3), "case-review": (1, 5), "community-care": (0, 2)}[meeting_type]
        # The consent gap is shown on households no earlier 重層的支援会議 asked for consent.
        candidates = indices
        if meeting_type == "multi-agency":  # only households whose person agreed to be helped
            candidates = [i for i in indices if i not in declined] or indices
        if n == upcoming:
            asked = {k.household for c in conferences if c.meeting_type == "multi-agency" for k in c.cases}
            candidates = [i for i in candidates if i not in asked] or candidates
        cases = []
        for _ in range(rng.randint(*count)):
            hi = rng.choices(candidates, weights=[weights[i] for i in candidates])[0]
            if hi not in cases:
                cases.append(hi)
        if not cases and meeting_type != "community-care":
            cases = [rng.choices(candidates, weights=[weights[i] for i in candidates])[0]]
        while n == upcoming + 1 and len(cases) < 2:  # the next 支援会議 shows a handout of several cases
            hi = rng.choices(indices, weights=weights)[0]
            if hi not in cases:
                cases.append(hi)
        hour = rng.choice([9, 10, 13, 14, 15])
        title = ""
        if meeting_type in ("support", "multi-agency") and rng.random() < 0.6:
            title = f"{municipality}{CONFERENCE_TYPES[meeting_type]}"
        conference = ConferencePlan(
            meeting_type, (DEFAULT_LEGAL_BASIS if rng.random() < 0.8 else list(LEGAL_BASES)[1])
            if meeting_type == "support" else "",
            held_on, f"{hour:02d}:{rng.choice([0, 30]):02d}", f"{hour + 1:02d}:{rng.choice([0, 30]):02d}", title,
            rng.choice(N.CONFERENCE_PLACES).format(m=municipality),
            {"support": f"{municipality}役場 住民福祉課", "multi-agency": council, "case-review": council,
             "community-care": f"{municipality}地域包括支援センター"}[meeting_type],
            rng.choice(N.CONFERENCE_AGENDAS[meeting_type]), rng.choice(coordinators),
            [], [CasePlan(hi, _question(rng, plan, hi, concerns, meeting_type)) for hi in cases], consent_gap=n == upcoming)
        conference.members = _members(plan, rng, meeting_type, held_on, cases, pool)
        if held_on <= today:
            conference.minutes = rng.choice(N.CONFERENCE_MINUTES)
            for case in conference.cases:
                _outcome(plan, rng, case, conference.members, meeting_type)
                if rng.random() < 0.8:
                    case.next_review = held_on + timedelta(days=rng.choice([30, 60, 90, 120, 180]))
        if meeting_type == "support" and rng.random() < 0.05:
            conference.disclosures = ["full_name"]
        if meeting_type in PRINTED:
            _copies(rng, conference, today)
        conferences.append(conference)
    conferences.sort(key=lambda c: (c.held_on, c.start_time))
    # A review is current only on the household's latest conference, and a council holds its
    # reviews: one due more than three weeks ago would have been a meeting by now.
    latest: dict[int, CasePlan] = {}
    for conference in conferences:
        for case in conference.cases:
            latest[case.household] = case
    for conference in conferences:
        for case in conference.cases:
            if case.next_review and (latest[case.household] is not case
                                     or case.next_review < today - timedelta(days=21)):
                case.next_review = None
    plan.conferences = conferences
    plan.consents = _consents(plan, rng, conferences)


PLAN_STEPS = [PlanStep("conferences", plan_conferences)]


# ---- write -------------------------------------------------------------------------

CHUNK = 100  # conferences per transaction


def _made_at(day: date) -> datetime:
    return datetime.combine(day, time(0, 30))  # naive UTC: 9:30 in Japan


def write_consents(ctx: WriteContext, tick: Callable[[int], None]) -> None:
    from shakyo_desk.store.models import Consent

    groups: dict[str, list[ConsentPlan]] = {}
    for c in ctx.plan.consents:
        groups.setdefault(c.by, []).append(c)
    for login, items in groups.items():
        with _store_for(ctx, login).write() as w, w.bulk():
            for c in items:
                w.insert(Consent, {
                    "person_id": ctx.person_ids[c.person], "given_on": c.given_on, "meeting_types": list(c.types),
                    "agencies": list(c.agencies), "method": c.method, "recorded_by": ctx.staff_ids[c.by],
                    "withdrawn_on": c.withdrawn_on, "note": c.note})
    tick(1)


def write_conferences(ctx: WriteContext, tick: Callable[[int], None]) -> None:
    from shakyo_desk.store.models import Conference, ConferenceCase, ConferenceMember, HandoutCopy

    groups: dict[str, list[ConferencePlan]] = {}
    for c in ctx.plan.conferences:
        groups.setdefault(c.by, []).append(c)
    for login, items in groups.items():
        store = _store_for(ctx, login)
        for chunk in _chunks(items, CHUNK):
            with store.write() as w, w.bulk():
                for c in chunk:
                    conference_id = w.insert(Conference, {
                        "meeting_type": c.meeting_type, "legal_basis": c.legal_basis, "title": c.title,
                        "held_on": c.held_on, "start_time": c.start_time, "end_time": c.end_time, "place": c.place,
                        "convenor": c.convenor, "agenda": c.agenda, "minutes": c.minutes,
                        "disclosures": list(c.disclosures)})
                    if c.disclosures:
                        w.audit("conference.disclosure", "conference", conference_id,
                                {"before": [], "after": list(c.disclosures)})
                    member_ids = [w.insert(ConferenceMember, {
                        "conference_id": conference_id, "name": m.name, "organisation": m.organisation,
                        "confidentiality_acknowledged_on": m.acknowledged_on, "sort_order": order})
                        for order, m in enumerate(c.members)]
                    for order, case in enumerate(c.cases):
                        w.insert(ConferenceCase, {
                            "conference_id": conference_id, "household_id": ctx.household_by_index[case.household],
                            "question": case.question, "sort_order": order, "support_policy": case.support_policy,
                            "lead_agency": case.lead_agency, "roles": list(case.roles),
                            "next_review_on": case.next_review})
                    for copy in c.copies:
                        w.insert(HandoutCopy, {
                            "conference_id": conference_id, "copy_number": copy.number, "recipient": copy.recipient,
                            "member_id": member_ids[copy.member] if copy.member is not None else None,
                            "made_by": ctx.staff_ids[c.by], "made_at": _made_at(copy.made_on),
                            "collected_on": copy.collected_on, "destroyed_on": copy.destroyed_on})
            tick(1)


def write_tax_notes(ctx: WriteContext, tick: Callable[[int], None]) -> None:
    """A few households hold a tax-derived note (課税情報), which no handout may print."""
    from shakyo_desk.store.models import Household

    rng = random.Random(f"{ctx.plan.profile.name}:{ctx.plan.seed}:tax-notes")
    chosen = [i for i, h in enumerate(ctx.plan.households)
              if any("生活保護" in p.flags for p in h.members) or ("8050" in h.flags and rng.random() < 0.3)]
    coordinator = next((s.login for s in ctx.plan.staff if s.role == Role.COORDINATOR.value), None)
    with _store_for(ctx, coordinator).write() as w, w.bulk():
        for i in chosen:
            w.update(Household, ctx.household_by_index[i],
                     {"tax_note": rng.choice(["住民税非課税世帯（役場 税務係の情報）", "前年の所得が大きく減っている（課税台帳より）"])})
    tick(1)


def _conference_units(plan: Plan) -> int:
    groups: dict[str, int] = {}
    for c in plan.conferences:
        groups[c.by] = groups.get(c.by, 0) + 1
    return sum(-(-n // CHUNK) for n in groups.values())


WRITE_STEPS = [
    WriteStep("consents", "本人同意を記録しています", lambda plan: 1, write_consents),
    WriteStep("conferences", "会議と配布資料の記録を書いています", _conference_units, write_conferences),
    WriteStep("tax-notes", "世帯のメモを整えています", lambda plan: 1, write_tax_notes),
]
