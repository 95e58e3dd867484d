"""Household search index: folded text plus the head's name for lists.

Derived data, rebuilt inside the write transaction; never synced."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shakyo_desk.domain.text import fold
from shakyo_desk.store.models import Household, HouseholdSearch, Person


def refresh_household_search(session: Session, household_id: str) -> None:
    household = session.get(Household, household_id)
    if household is None:
        return
    members = session.execute(
        sa.select(Person.name, Person.kana)
        .where(Person.household_id == household_id, Person.deleted_at.is_(None))
        .order_by(Person.sort_order, Person.created_at)
    ).all()
    parts = [household.address, household.phone, household.code]
    for name, kana in members:
        parts += [name, kana]
    text = "\x1f".join(fold(p) for p in parts if p)
    head_name, head_kana = (members[0] if members else ("", ""))
    values = {"text": text, "head_name": head_name, "head_kana": head_kana, "member_count": len(members)}
    exists = session.get(HouseholdSearch, household_id)
    if exists is None:
        session.execute(sa.insert(HouseholdSearch).values(household_id=household_id, **values))
    else:
        session.execute(sa.update(HouseholdSearch).where(HouseholdSearch.household_id == household_id).values(**values))
        session.expire(exists)


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
