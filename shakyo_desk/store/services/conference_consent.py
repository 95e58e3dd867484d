"""The consent gate of a 重層的支援会議 (DESIGN §6, issue 18 "consent as the law describes it").

A 重層的支援会議 discusses a case only with the consent of the person concerned (本人同意), not of
every adult of the household. ``missing_consent`` names, for each case, its 本人 (``principal``:
the person the case names, ``conference_case.person_id``, set from the 受付表 or the editor;
otherwise the household member the case's 把握シート is about, matched by name; otherwise the
member recorded as 本人; otherwise the household's head, its first member) when no consent of
theirs covers that meeting type on that day. A consent limited to named agencies
(``consent.agencies``) covers only members whose organisation is one of them — names compared
through the agency directory (name or kana) and without width or spacing differences; the council
itself is always covered. ``uncovered_seats`` lists each member and case so left out: that
member's handout copy goes without the case and the coordinator is told before printing. A 支援会議
needs no consent (its members are bound by statute), nor do the internal ケース検討会 and the
地域ケア会議.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shakyo_desk.domain.text import fold
from shakyo_desk.domain.vocab import CONSENT_REQUIRED_TYPES
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.store.models import Agency, CaseSheet, ConcernSheet, Council, Person
from shakyo_desk.store.services.conferences import CaseInfo, _alive_conference, _cases_of, _members_of, _read
from shakyo_desk.store.services.consent_records import ConsentInfo, consents_by_person
from shakyo_desk.store.services.consents import covers
from shakyo_desk.store.store import Store

@dataclass(frozen=True)
class MissingConsent:
    """A person a 重層的支援会議 may not discuss: no consent covering it on the meeting day.
    ``given_after``: the day of a consent for this type of meeting given after the meeting (it does
    not reach back), when there is one — the refusal then says so (``missing_consent_text``)."""

    person_id: str
    person_name: str
    household_id: str
    household_code: str
    head_name: str
    held_on: date | None = None
    given_after: date | None = None


def missing_consent_text(m: MissingConsent) -> str:
    """Why this person stops the handout, and what to do, in one or two sentences."""
    who = f"{m.person_name}さん（世帯番号 {m.household_code}）"
    if m.given_after is not None and m.held_on is not None:
        return (f"{who}の同意は{format_wareki(m.given_after)}付けで、会議の日（{format_wareki(m.held_on)}）より後の"
                "日付です。同意は会議の日までに得ている必要があるため、この会議では同意なしとして扱います。"
                "同意を得た日が違っていれば同意の記録の日付を、会議の日が違っていれば会議の日付を直してください。")
    return f"{who}の同意が記録されていません（撤回された同意は同意なしとして扱います）。"


def _principals(session: Session, cases: Sequence[CaseInfo]) -> dict[str, Person]:
    """The 本人 of each case (by conference-case id) whose consent a 重層的支援会議 needs: the
    person the case names; else the household member a 把握シート of its 支援ケース is about
    (``person_of_concern`` matched by name); else the member recorded as 本人; else the first
    member (the head). A case of a household without members has none."""
    households = sorted({c.household_id for c in cases})
    persons = session.execute(sa.select(Person).where(Person.household_id.in_(households), Person.deleted_at.is_(None))
                              .order_by(Person.sort_order, Person.created_at)).scalars().all()
    by_household: dict[str, list[Person]] = {}
    for p in persons:
        by_household.setdefault(p.household_id, []).append(p)
    concern: dict[str, list[str]] = {}
    support_cases = sorted({c.case_id for c in cases if c.case_id})
    if support_cases:
        for case_id, who in session.execute(
                sa.select(CaseSheet.case_id, ConcernSheet.person_of_concern)
                .join(ConcernSheet, ConcernSheet.id == CaseSheet.sheet_id)
                .where(CaseSheet.case_id.in_(support_cases), CaseSheet.deleted_at.is_(None))
                .order_by(ConcernSheet.noticed_on)):
            if who:
                concern.setdefault(case_id, []).append(fold(who))
    found: dict[str, Person] = {}
    for case in cases:
        members = by_household.get(case.household_id, [])
        chosen = next((p for p in members if p.id == case.person_id), None) if case.person_id else None
        if chosen is None:
            names = concern.get(case.case_id or "", [])
            chosen = next((p for name in names for p in members if fold(p.name) == name and name), None)
        if chosen is None:
            chosen = next((p for p in members if p.relation == "本人"), None)
        if chosen is None and members:
            chosen = members[0]
        if chosen is not None:
            found[case.id] = chosen
    return found


def principal(store: Store, conference_id: str) -> dict[str, tuple[str, str]]:
    """The 本人 of each case of a conference: conference-case id → (person id, name)."""
    _read(store)
    with store.read() as s:
        _alive_conference(s, conference_id)
        return {key: (p.id, p.name) for key, p in _principals(s, _cases_of(s, conference_id)).items()}


def missing_consent(store: Store, conference_id: str) -> list[MissingConsent]:
    """For a 重層的支援会議: the 本人 of each case (``_principals``) without a consent covering it
    on the meeting day, in case order (empty for other types and when all consented)."""
    _read(store)
    with store.read() as s:
        c = _alive_conference(s, conference_id)
        if c.meeting_type not in CONSENT_REQUIRED_TYPES:
            return []
        cases = _cases_of(s, conference_id)
        principals = _principals(s, cases)
        consents = consents_by_person(s, [p.id for p in principals.values()])
    missing = []
    for case in cases:
        p = principals.get(case.id)
        if p is None:
            continue
        given = consents.get(p.id, ())
        if not any(covers(k, c.meeting_type, c.held_on) for k in given):
            later = [k.given_on for k in given if c.meeting_type in k.meeting_types and k.given_on > c.held_on
                     and (k.withdrawn_on is None or k.withdrawn_on > k.given_on)]
            missing.append(MissingConsent(p.id, p.name, case.household_id, case.household_code, case.head_name,
                                          c.held_on, min(later) if later else None))
    return missing


@dataclass(frozen=True)
class UncoveredSeat:
    """A member whose organisation the 本人's consent does not name: their copy goes without the case."""

    member_id: str
    member_label: str
    case_id: str  # conference-case id
    household_code: str
    person_name: str
    agencies: tuple[str, ...]  # what the consent names

    @property
    def text(self) -> str:
        return (f"{self.member_label}さんの所属は、{self.person_name}さん（世帯番号 {self.household_code}）の同意にある"
                f"共有先（{'、'.join(self.agencies)}）に入っていません。この方の資料にはこのケースを載せません。"
                "載せる必要があれば、本人に共有先を確かめて同意の記録を直してください。")


def _agency_keys(directory: Sequence[tuple[str, str, str]], name: str) -> set[str]:
    """What a name stands for: its folded self and every directory agency it names (by name or kana)."""
    key = fold(name)
    keys = {key} if key else set()
    for agency_id, agency_name, kana in directory:
        if key and key in (fold(agency_name), fold(kana)):
            keys.add(f"agency:{agency_id}")
    return keys


def uncovered_seats(store: Store, conference_id: str) -> list[UncoveredSeat]:
    """For a 重層的支援会議: each (member, case) where the member sits for the case but the 本人's
    covering consent names agencies and none of them is the member's organisation (matched
    through the agency directory, name or kana, and without width or spacing differences).
    Members of the council itself (organisation = the council's name) are always covered; a
    member with no organisation is not covered by a consent limited to named agencies."""
    _read(store)
    with store.read() as s:
        c = _alive_conference(s, conference_id)
        if c.meeting_type not in CONSENT_REQUIRED_TYPES:
            return []
        cases = _cases_of(s, conference_id)
        members = _members_of(s, conference_id)
        principals = _principals(s, cases)
        consents = consents_by_person(s, [p.id for p in principals.values()])
        directory = [tuple(r) for r in s.execute(sa.select(Agency.id, Agency.name, Agency.kana)
                                                 .where(Agency.deleted_at.is_(None)))]
        council_name = s.execute(sa.select(Council.name).limit(1)).scalar() or ""
    council = fold(council_name)
    uncovered = []
    for case in cases:
        p = principals.get(case.id)
        covering: list[ConsentInfo] = [k for k in consents.get(p.id, ()) if covers(k, c.meeting_type, c.held_on)] if p else []
        if not covering or any(not k.agencies for k in covering):
            continue  # no consent (the gate refuses) or one not limited to named agencies
        named = tuple(dict.fromkeys(a for k in covering for a in k.agencies))
        allowed: set[str] = set()
        for agency in named:
            allowed |= _agency_keys(directory, agency)
        for m in members:
            if not case.seats(m.id):
                continue
            if m.organisation and council and fold(m.organisation) == council:
                continue  # the council's own staff hold the record already
            if m.organisation and _agency_keys(directory, m.organisation) & allowed:
                continue
            uncovered.append(UncoveredSeat(m.id, m.label, case.id, case.household_code, p.name, named))
    return uncovered
