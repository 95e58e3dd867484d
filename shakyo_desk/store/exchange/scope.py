"""District-limited laptops: which records a scope covers (DESIGN §5 "Scoped laptops").

Reference data (council, districts, staff, agencies, concern categories, places, salons and
their sessions) goes everywhere; a household goes with its district, and with it what hangs
on it: members and their consents, contacts, sheets and their history, referrals, attendance,
remarks, regulars, the conferences that discussed it, and its support cases with everything
recorded on them (each case record carries its household_id; the 地域課題 register is shared). A conference goes to a laptop when
at least one of its cases is a household of the laptop's districts, with all its members and
its handout register, but only the cases of those households (another district's case would
name a household the laptop does not hold). Meetings fed by requests (0017): a 受付表 request
and a member's seat for one case carry their household_id and go with it; 委嘱 (appointment)
is council-wide, and so is a meeting that has never had a case (a 支援会議 on a topic such as
地域資源, with its members and handout register): it names no household. Community work (0018): a
支え合いの関係 and a missing resource's link to a 地域課題 carry their household_id; 担い手 and
地域活動 go with their district (council-wide ones, with no district, go everywhere) and with the
ties of the laptop's households that name them; an activity's 地域課題 links go with the activity;
supporter targets are council settings."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shakyo_desk.store.models import (
    Conference,
    ConferenceCaseMember,
    MeetingRequest,
    AssessmentView,
    CaseEvaluation,
    CaseSheet,
    CaseStatusChange,
    CommunityIssueCase,
    MissingResource,
    Monitoring,
    PlanAction,
    PlanGoal,
    SupportCase,
    SupportPlan,
    Attendance,
    ConcernSheet,
    ConferenceCase,
    ConferenceMember,
    Consent,
    Contact,
    HandoutCopy,
    Household,
    Person,
    Referral,
    Remark,
    SalonRegular,
    SheetStatusChange,
    CommunityActivity,
    CommunityIssueActivity,
    CommunityIssueResource,
    Supporter,
    SupportTie,
)
from shakyo_desk.store.store import with_subdistricts

SHARED = {"council", "district", "staff", "agency", "concern_category", "place", "salon", "salon_session",
          "community_issue",  # the 地域課題 register names no household
          "appointment",  # 委嘱: a member's standing pledge names no household
          "supporter_target"}  # council settings (0018)

# Case work (issue 18): every record carries its household_id.
CASE_MODELS = (SupportCase, CaseStatusChange, CaseSheet, AssessmentView, SupportPlan, PlanGoal, PlanAction,
               MissingResource, Monitoring, CaseEvaluation, CommunityIssueCase,
               MeetingRequest, ConferenceCaseMember,  # (0017: each carries its household_id too)
               SupportTie, CommunityIssueResource)  # (0018, community work)


def _ids(conn: Connection, query) -> set[str]:
    return set(conn.execute(query).scalars())


def records_of(conn: Connection, households: set[str]) -> dict[str, set[str]]:
    """The households and what hangs on them, by entity: members and their consents, contacts,
    sheets and their history, referrals, attendance, remarks, regulars; their conference cases
    and those conferences with their members and handout copies."""
    covered: dict[str, set[str]] = {"household": set(households)}

    def rows(model, *columns):
        return conn.execute(sa.select(model.id, *columns)).all()

    covered["person"] = {r.id for r in rows(Person, Person.household_id) if r.household_id in households}
    persons = covered["person"]
    covered["contact"] = {r.id for r in rows(Contact, Contact.household_id) if r.household_id in households}
    covered["concern_sheet"] = {r.id for r in rows(ConcernSheet, ConcernSheet.household_id)
                                if r.household_id in households}
    sheets = covered["concern_sheet"]
    covered["sheet_status_change"] = {r.id for r in rows(SheetStatusChange, SheetStatusChange.sheet_id)
                                      if r.sheet_id in sheets}
    covered["referral"] = {r.id for r in rows(Referral, Referral.household_id, Referral.sheet_id)
                           if r.household_id in households or r.sheet_id in sheets}
    covered["attendance"] = {r.id for r in rows(Attendance, Attendance.person_id) if r.person_id in persons}
    covered["remark"] = {r.id for r in rows(Remark, Remark.person_id) if r.person_id in persons}
    covered["salon_regular"] = {r.id for r in rows(SalonRegular, SalonRegular.person_id) if r.person_id in persons}
    covered["consent"] = {r.id for r in rows(Consent, Consent.person_id) if r.person_id in persons}
    cases = [r for r in rows(ConferenceCase, ConferenceCase.household_id, ConferenceCase.conference_id)
             if r.household_id in households]
    covered["conference_case"] = {r.id for r in cases}
    conferences = covered["conference"] = {r.conference_id for r in cases}
    covered["conference_member"] = {r.id for r in rows(ConferenceMember, ConferenceMember.conference_id)
                                    if r.conference_id in conferences}
    covered["handout_copy"] = {r.id for r in rows(HandoutCopy, HandoutCopy.conference_id)
                               if r.conference_id in conferences}
    for model in CASE_MODELS:
        covered[model.__tablename__] = {r.id for r in rows(model, model.household_id) if r.household_id in households}
    return covered


def scope_records(conn: Connection, district_ids: Iterable[str]) -> dict[str, set[str]]:
    """Every record of the scope that is not shared by the whole council, by entity."""
    districts = with_subdistricts(conn, list(district_ids))
    households = _ids(conn, sa.select(Household.id).where(Household.district_id.in_(sorted(districts))))
    covered = records_of(conn, households)
    covered["contact"] |= _ids(conn, sa.select(Contact.id).where(Contact.household_id.is_(None)))  # at a place
    # Community work (0018): supporters and activities of the districts, or council-wide (no district).
    for model in (Supporter, CommunityActivity):
        covered[model.__tablename__] = _ids(conn, sa.select(model.id).where(
            sa.or_(model.district_id.is_(None), model.district_id.in_(sorted(districts)))))
    # A tie of a household in scope brings its supporter and activity along (they may be another district's).
    ties = conn.execute(sa.select(SupportTie.supporter_id, SupportTie.activity_id).where(
        SupportTie.id.in_(sorted(covered["support_tie"])))).all() if covered["support_tie"] else []
    covered["supporter"] |= {t.supporter_id for t in ties if t.supporter_id}
    covered["community_activity"] |= {t.activity_id for t in ties if t.activity_id}
    activities = covered["community_activity"]
    covered["community_issue_activity"] = {r.id for r in conn.execute(sa.select(
        CommunityIssueActivity.id, CommunityIssueActivity.activity_id)) if r.activity_id in activities}
    # A meeting that never had a case (a topic-only 支援会議) names no household: council-wide.
    topical = _ids(conn, sa.select(Conference.id).where(~sa.exists(sa.select(ConferenceCase.id).where(
        ConferenceCase.conference_id == Conference.id))))
    if topical:
        covered["conference"] |= topical
        covered["conference_member"] |= {r.id for r in conn.execute(sa.select(
            ConferenceMember.id, ConferenceMember.conference_id)) if r.conference_id in topical}
        covered["handout_copy"] |= {r.id for r in conn.execute(sa.select(
            HandoutCopy.id, HandoutCopy.conference_id)) if r.conference_id in topical}
    return covered


def predicate(covered: dict[str, set[str]]) -> Callable[[dict], bool]:
    def belongs(change: dict) -> bool:
        entity = change["entity"]
        if entity in SHARED:
            return True
        return change["entity_id"] in covered.get(entity, ())

    return belongs


def scope_predicate(conn: Connection, district_ids: Iterable[str]) -> Callable[[dict], bool]:
    """A test for wire changes: does this change belong to the scope?"""
    return predicate(scope_records(conn, district_ids))
