"""Household search index: folded text plus the head's name for lists.

Derived data, rebuilt inside the write transaction; never synced."""

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shakyo_desk.domain.text import fold
from shakyo_desk.store.models import Household, HouseholdSearch, Person


def refresh_household_search(conn: Connection, household_id: str) -> None:
    household = conn.execute(
        sa.select(Household.address, Household.phone, Household.code).where(Household.id == household_id)
    ).one_or_none()
    if household is None:
        return
    members = conn.execute(
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
    table = HouseholdSearch.__table__
    updated = conn.execute(table.update().where(table.c.household_id == household_id), values)
    if updated.rowcount == 0:
        conn.execute(table.insert(), {"household_id": household_id, **values})


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
