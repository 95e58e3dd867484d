"""見守り schedule: which households are due or overdue for a contact."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from shakyo_desk.domain.roles import Role
from shakyo_desk.domain.schedule import due_date
from shakyo_desk.domain.vocab import FAILED_METHOD
from shakyo_desk.store.models import Contact, District, Household, HouseholdSearch
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
