"""The demo's odd data, fixed (issue 18): sheets' concerns fit the household's members' ages, a
重層的支援会議 discusses only people who agreed to be helped, a 支援会議 asks what a 支援会議 is for."""

import copy
from dataclasses import replace
from datetime import date

import pytest

from shakyo_desk.demo import names as N
from shakyo_desk.demo.generator import make_plan

DAYS = [date(2026, 12, 7), date(2027, 4, 1), date(2028, 2, 29)]
COORDINATION = {q for qs in N.SERVICE_COORDINATION_QUESTIONS.values() for q in qs}
SUPPORT_QUESTIONS = {q for qs in N.SUPPORT_MEETING_QUESTIONS.values() for q in qs}


@pytest.fixture(scope="module", params=[(d, s) for d in DAYS for s in (None, 3)], ids=str)
def plan(request):
    day, seed = request.param
    return make_plan("village", seed, today=day)


def misfit_sheets(plan) -> list[str]:
    """Sheets whose concerns cannot be about their household, by the members' ages."""
    found = []
    for sheet in plan.sheets:
        if sheet.household is None:
            continue
        members = plan.households[sheet.household].members
        ages = [p.age for p in members]
        if "子育て" in sheet.concerns and not any(a < 18 for a in ages):
            found.append(f"子育て sheet for a household aged {ages}")
        if ("介護" in sheet.concerns or "認知症" in sheet.concerns) and max(ages) < 65 \
                and not any({"要介護", "障がい"} & set(p.flags) for p in members):
            found.append(f"介護/認知症 sheet for a household aged {ages}")
        if "8050" in sheet.concerns and not (max(ages) >= 70 and any(40 <= a <= 65 for a in ages)):
            found.append(f"8050 sheet for a household aged {ages}")
    return found


def refusing_multi_agency_cases(plan) -> list[str]:
    """重層的支援会議 cases whose household said no to help (a sheet 希望なし, a referral declined,
    a consent withdrawn before the meeting) or whose question or policy says the person refuses."""
    found = []
    for conference in plan.conferences:
        if conference.meeting_type != "multi-agency":
            continue
        for case in conference.cases:
            hi = case.household
            if any(s.household == hi and s.wish == "希望なし" for s in plan.sheets):
                found.append(f"{conference.held_on}: a sheet of the household notes 希望なし")
            if any(r.household == hi and r.outcome == "本人が辞退" for r in plan.referrals):
                found.append(f"{conference.held_on}: a referral of the household was declined")
            if any(c.person[0] == hi and c.withdrawn_on and c.withdrawn_on <= conference.held_on for c in plan.consents):
                found.append(f"{conference.held_on}: a consent was withdrawn before the meeting")
            if "拒" in case.question or case.support_policy == N.RELUCTANT_POLICY:
                found.append(f"{conference.held_on}: {case.question} / {case.support_policy}")
    return found


def coordination_at_support_meetings(plan) -> list[str]:
    return [case.question for c in plan.conferences if c.meeting_type == "support" for case in c.cases
            if case.question in COORDINATION or case.question not in SUPPORT_QUESTIONS]


def test_sheets_concerns_fit_the_household(plan):
    assert misfit_sheets(plan) == []
    assert any("子育て" in s.concerns for s in plan.sheets)  # still there, where there are children


def test_contacts_and_salon_remarks_fit_the_household_too(plan):
    for c in plan.contacts:
        if c.household is not None and "子育て" in c.concerns:
            assert any(p.age < 18 for p in plan.households[c.household].members), c.seen_heard
    for salon in plan.salons:
        for session in salon.sessions:
            for remark in session.remarks:
                if remark.person and "子育て" in remark.concerns:
                    assert any(p.age < 18 for p in plan.households[remark.person[0]].members), remark.text


def test_multi_agency_meetings_discuss_only_people_who_agreed_to_help(plan):
    assert refusing_multi_agency_cases(plan) == []
    assert sum(c.meeting_type == "multi-agency" for c in plan.conferences) >= 3


def test_support_meetings_ask_what_a_support_meeting_is_for(plan):
    assert coordination_at_support_meetings(plan) == []
    questions = [k.question for c in plan.conferences if c.meeting_type == "support" for k in c.cases]
    assert questions and all("共有" in q or "持ち寄" in q for q in questions)
    others = [k.question for c in plan.conferences if c.meeting_type != "support" for k in c.cases]
    assert others and all(q in COORDINATION for q in others)


def test_the_checks_notice_the_odd_data_they_look_for():
    plan = make_plan("village", today=DAYS[0])
    elderly = next(i for i, h in enumerate(plan.households) if "高齢者のみ" in h.flags)
    odd = copy.copy(plan)
    odd.sheets = plan.sheets + [replace(plan.sheets[0], household=elderly, concerns=["子育て"])]
    assert misfit_sheets(odd)
    multi = next(c for c in plan.conferences if c.meeting_type == "multi-agency" and c.cases)
    odd.sheets = plan.sheets + [replace(plan.sheets[0], household=multi.cases[0].household, wish="希望なし")]
    assert refusing_multi_agency_cases(odd)
    support = next(c for c in plan.conferences if c.meeting_type == "support" and c.cases)
    saved = support.cases[0].question
    support.cases[0].question = N.SERVICE_COORDINATION_QUESTIONS["other"][0]
    try:
        assert coordination_at_support_meetings(plan)
    finally:
        support.cases[0].question = saved
