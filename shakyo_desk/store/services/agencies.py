"""Agency directory (関係機関)."""

from dataclasses import dataclass

import sqlalchemy as sa

from shakyo_desk.domain.roles import manages_registers
from shakyo_desk.store.models import Agency
from shakyo_desk.store.services._common import optional_text, require, required_text
from shakyo_desk.store.store import Store


@dataclass(frozen=True)
class AgencyInfo:
    id: str
    name: str
    kana: str
    field: str
    contact: str
    phone: str
    services: str


def list_agencies(store: Store) -> list[AgencyInfo]:
    if getattr(store, "is_reporter_session", False):
        return []  # a reporter's session has no database (store/reporter.py)
    with store.read() as s:
        rows = s.execute(sa.select(Agency).where(Agency.deleted_at.is_(None)).order_by(Agency.kana, Agency.name)).scalars()
        return [AgencyInfo(r.id, r.name, r.kana, r.field, r.contact, r.phone, r.services) for r in rows]


def _values(**fields) -> dict:
    values = {}
    if "name" in fields:
        values["name"] = required_text(fields["name"], "機関名")
    for key, label, limit in (("kana", "ふりがな", 300), ("field", "分野", 50), ("contact", "担当・連絡先", 200),
                              ("phone", "電話番号", 50), ("services", "できること", 2000)):
        if key in fields:
            values[key] = optional_text(fields[key], label, limit)
    return values


def add_agency(store: Store, name: str, **fields) -> str:
    require(manages_registers(store.actor.role))
    with store.write() as w:
        return w.insert(Agency, _values(name=name, **fields))


def update_agency(store: Store, agency_id: str, **fields) -> None:
    require(manages_registers(store.actor.role))
    with store.write() as w:
        w.update(Agency, agency_id, _values(**fields))
