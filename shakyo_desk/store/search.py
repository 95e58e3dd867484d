"""Household search index: folded text plus the head's name for lists.

Derived data, rebuilt inside the write transaction; never synced."""

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shakyo_desk.domain.text import fold
from shakyo_desk.store.models import ChangeLog, Household, HouseholdSearch, Person


CHUNK = 400  # households per IN (…) query


def refresh_household_search(conn: Connection, household_ids: Iterable[str]) -> None:
    """Rebuild the index rows of these households (a handful after an edit, every household
    after a full bundle: hence by chunks rather than one household at a time)."""
    ids = sorted(set(household_ids))
    for start in range(0, len(ids), CHUNK):
        _refresh_chunk(conn, ids[start : start + CHUNK])


def _refresh_chunk(conn: Connection, ids: list[str]) -> None:
    # A purged household (legal erasure, here or received) has no index row at all.
    purged = set(conn.execute(sa.select(ChangeLog.entity_id).where(
        ChangeLog.entity == Household.__tablename__, ChangeLog.entity_id.in_(ids), ChangeLog.op == "purge")).scalars())
    households = [h for h in conn.execute(sa.select(Household.id, Household.address, Household.phone, Household.code)
                                          .where(Household.id.in_(ids))).all() if h.id not in purged]
    members: dict[str, list] = defaultdict(list)
    for row in conn.execute(sa.select(Person.household_id, Person.name, Person.kana)
                            .where(Person.household_id.in_(ids), Person.deleted_at.is_(None))
                            # id last: members added at the same moment (or with a pinned clock)
                            # come in the same order on every device, whatever order rows arrived in
                            .order_by(Person.household_id, Person.sort_order, Person.created_at, Person.id)):
        members[row.household_id].append((row.name, row.kana))
    rows = []
    for household in households:
        people = members.get(household.id, [])
        parts = [household.address, household.phone, household.code]
        for name, kana in people:
            parts += [name, kana]
        head_name, head_kana = people[0] if people else ("", "")
        rows.append({"household_id": household.id, "text": "\x1f".join(fold(p) for p in parts if p),
                     "head_name": head_name, "head_kana": head_kana, "member_count": len(people)})
    table = HouseholdSearch.__table__
    conn.execute(table.delete().where(table.c.household_id.in_(ids)))
    if rows:
        conn.execute(table.insert(), rows)


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
