"""見守り schedule: which households are due or overdue for a contact, and which cases are due
for the review their last conference set (次回の見直し)."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from shakyo_desk.domain.roles import Role
from shakyo_desk.domain.schedule import due_date
from shakyo_desk.domain.vocab import CONFERENCE_TYPES, FAILED_METHOD
from shakyo_desk.store.models import Conference, ConferenceCase, Contact, District, Household, HouseholdSearch
from shakyo_desk.store.services._common import NO_RIGHT, require
from shakyo_desk.store.services.districts import subtree_ids
from shakyo_desk.store.services.households import visible_households
from shakyo_desk.store.store import Store


@dataclass(frozen=True)
class DueHousehold:
    household_id: str
    head_name: str
    head_kana: str
    district_id: str | None
    district: str
    address: str
    phone: str
    flags: tuple[str, ...]
    watch_level: str
    last_contact: date | None  # last successful contact (不在 does not count here)
    last_attempt: date | None  # last attempt of any kind
    due: date
    next_action: str  # what the last contact said to do / check

    def overdue_days(self, today: date) -> int:
        return (today - self.due).days


def due_list(store: Store, until: date, *, district_id: str | None = None) -> list[DueHousehold]:
    """Households on the schedule due on or before ``until``, most overdue first."""
    require(store.actor.role != Role.REPORTER, NO_RIGHT)
    # Per household, index seeks on (household_id, contact_date): the last successful
    # contact (不在 does not reset the schedule) and the last attempt of any kind.
    latest_id = (sa.select(Contact.id)
                 .where(Contact.household_id == Household.id, Contact.deleted_at.is_(None),
                        Contact.method != FAILED_METHOD)
                 .order_by(Contact.contact_date.desc(), Contact.created_at.desc()).limit(1)
                 .correlate(Household).scalar_subquery())
    last_attempt = (sa.select(sa.func.max(Contact.contact_date))
                    .where(Contact.household_id == Household.id, Contact.deleted_at.is_(None))
                    .correlate(Household).scalar_subquery())
    latest = aliased(Contact)
    q = (sa.select(Household, HouseholdSearch.head_name, HouseholdSearch.head_kana, District.name,
                   latest.contact_date, last_attempt, latest.next_contact_date, latest.next_action)
         .join(HouseholdSearch, HouseholdSearch.household_id == Household.id)
         .outerjoin(District, District.id == Household.district_id)
         .outerjoin(latest, latest.id == latest_id)
         .where(Household.deleted_at.is_(None),
                sa.or_(Household.watch_interval_days.is_not(None), Household.watch_interval_months.is_not(None),
                       latest.next_contact_date.is_not(None))))
    if district_id:
        q = q.where(Household.district_id.in_(subtree_ids(store, district_id)))
    with store.read() as s:
        rows = s.execute(visible_households(store, q)).all()
    result = []
    for h, head, kana, district, last_ok, last_any, planned, action in rows:
        due = due_date(last_ok, planned, h.watch_interval_days, h.watch_interval_months, h.created_at.date())
        if due is None or due > until:
            continue
        result.append(DueHousehold(h.id, head, kana, h.district_id, district or "", h.address, h.phone,
                                   tuple(h.flags or ()), h.watch_level, last_ok, last_any, due, action or ""))
    result.sort(key=lambda d: (d.due, d.district, d.head_kana))
    return result


@dataclass(frozen=True)
class ReviewDue:
    """A household whose latest conference set a review date that has come (or comes by ``until``)."""

    case_id: str
    conference_id: str
    household_id: str
    head_name: str
    head_kana: str
    district_id: str | None
    district: str
    meeting_type: str
    type_label: str
    held_on: date
    next_review_on: date
    lead_agency: str

    def overdue_days(self, today: date) -> int:
        return (today - self.next_review_on).days


def reviews_due(store: Store, until: date, *, district_id: str | None = None,
                household_id: str | None = None) -> list[ReviewDue]:
    """Case reviews due on or before ``until``, earliest first. Only a household's latest
    conference counts: discussing it again sets (or clears) the next review."""
    require(store.actor.role != Role.REPORTER, NO_RIGHT)
    order = sa.func.row_number().over(partition_by=ConferenceCase.household_id,
                                      order_by=(Conference.held_on.desc(), Conference.created_at.desc()))
    latest = (sa.select(ConferenceCase.id.label("case_id"), ConferenceCase.household_id, ConferenceCase.conference_id,
                        ConferenceCase.next_review_on, ConferenceCase.lead_agency, Conference.meeting_type,
                        Conference.held_on, order.label("n"))
              .join(Conference, Conference.id == ConferenceCase.conference_id)
              .where(ConferenceCase.deleted_at.is_(None), Conference.deleted_at.is_(None)))
    if household_id:
        latest = latest.where(ConferenceCase.household_id == household_id)
    latest = latest.subquery()
    q = (sa.select(latest, HouseholdSearch.head_name, HouseholdSearch.head_kana, Household.district_id, District.name)
         .join(Household, Household.id == latest.c.household_id)
         .join(HouseholdSearch, HouseholdSearch.household_id == Household.id)
         .outerjoin(District, District.id == Household.district_id)
         .where(latest.c.n == 1, latest.c.next_review_on.is_not(None), latest.c.next_review_on <= until,
                Household.deleted_at.is_(None)))
    if district_id:
        q = q.where(Household.district_id.in_(subtree_ids(store, district_id)))
    q = visible_households(store, q).order_by(latest.c.next_review_on, HouseholdSearch.head_kana)
    with store.read() as s:
        return [ReviewDue(r.case_id, r.conference_id, r.household_id, r.head_name, r.head_kana, r.district_id,
                          r.name or "", r.meeting_type, CONFERENCE_TYPES.get(r.meeting_type, r.meeting_type), r.held_on,
                          r.next_review_on, r.lead_agency)
                for r in s.execute(q)]
