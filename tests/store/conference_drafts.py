"""Editing a recorded conference in tests the way the conference editor does: open it, change
the draft, save the whole of it with ``conferences.save_conference``."""

from dataclasses import replace

from shakyo_desk.store.services import conferences
from shakyo_desk.store.services.conferences import CaseDraft, ConferenceDetail, ConferenceDraft, MemberDraft


def draft_of(detail: ConferenceDetail) -> ConferenceDraft:
    """The conference as an editor opened on it holds it."""
    return ConferenceDraft(
        detail.meeting_type, detail.held_on, detail.legal_basis, detail.title, detail.start_time, detail.end_time,
        detail.place, detail.convenor, detail.agenda, detail.minutes, detail.disclosures,
        tuple(MemberDraft(m.name, m.organisation, m.confidentiality_acknowledged_on, m.id) for m in detail.members),
        tuple(CaseDraft(c.household_id, c.question, c.support_policy, c.lead_agency, c.roles, c.next_review_on, c.id)
              for c in detail.cases))


def edit_conference(store, conference_id: str, *, case_changes=None, member_changes=None, today=None,
                    **fields) -> ConferenceDetail:
    """Open the conference, change ``fields`` of its draft (ConferenceDraft fields), the cases in
    ``case_changes`` and the members in ``member_changes`` (id → CaseDraft / MemberDraft fields),
    save it against the version it was opened at and return it as saved."""
    detail = conferences.get_conference(store, conference_id, log=False)
    draft = draft_of(detail)
    cases, members = dict(case_changes or {}), dict(member_changes or {})
    draft = replace(draft, **{
        "cases": tuple(replace(c, **cases.pop(c.id, {})) for c in draft.cases),
        "members": tuple(replace(m, **members.pop(m.id, {})) for m in draft.members),
        **fields})
    assert not cases and not members, "not cases or members of this conference"
    conferences.save_conference(store, draft, conference_id, expected_version=detail.version, today=today)
    return conferences.get_conference(store, conference_id, log=False)
