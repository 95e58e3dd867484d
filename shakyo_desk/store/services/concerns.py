"""Configurable categories of concern (課題), seeded with DESIGN §3's defaults."""

from dataclasses import dataclass

import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.roles import manages_registers
from shakyo_desk.store.models import ConcernCategory
from shakyo_desk.store.services._common import require, required_text
from shakyo_desk.store.store import Store


@dataclass(frozen=True)
class Concern:
    id: str
    name: str
    sort_order: int
    active: bool


def list_concerns(store: Store, include_inactive: bool = False) -> list[Concern]:
    from shakyo_desk.store.reporter import is_reporter_session

    if is_reporter_session(store):  # the categories the council published to the drop box
        return [Concern("", name, order, True) for order, name in enumerate(store.concern_names())]
    with store.read() as s:
        q = sa.select(ConcernCategory).where(ConcernCategory.deleted_at.is_(None))
        if not include_inactive:
            q = q.where(ConcernCategory.active.is_(True))
        rows = s.execute(q.order_by(ConcernCategory.sort_order, ConcernCategory.name)).scalars()
        return [Concern(r.id, r.name, r.sort_order, r.active) for r in rows]


def add_concern(store: Store, name: str) -> str:
    require(manages_registers(store.actor.role))
    name = required_text(name, "課題の名前", 50)
    existing = list_concerns(store, include_inactive=True)
    if any(c.name == name for c in existing):
        raise InvalidInput(f"「{name}」はすでに登録されています。別の名前にしてください。")
    with store.write() as w:
        return w.insert(ConcernCategory, {"name": name, "sort_order": len(existing), "active": True})


def active_concern_names(store: Store) -> set[str]:
    return {c.name for c in list_concerns(store)}
