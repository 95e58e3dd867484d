"""Places for community contacts (地域の拠点): shops, post offices, コンビニ, 公民館."""

from dataclasses import dataclass

import sqlalchemy as sa

from shakyo_desk.domain.roles import Role, manages_registers
from shakyo_desk.domain.vocab import PLACE_KINDS
from shakyo_desk.store.models import District, Place
from shakyo_desk.store.services._common import choice, optional_text, require, required_text
from shakyo_desk.store.store import Store


@dataclass(frozen=True)
class PlaceInfo:
    id: str
    name: str
    kind: str
    district_id: str | None
    district: str
    address: str
    notes: str


def list_places(store: Store) -> list[PlaceInfo]:
    require(store.actor.role != Role.REPORTER)
    with store.read() as s:
        rows = s.execute(
            sa.select(Place, District.name).outerjoin(District, District.id == Place.district_id)
            .where(Place.deleted_at.is_(None)).order_by(Place.kind, Place.name)
        ).all()
        return [PlaceInfo(p.id, p.name, p.kind, p.district_id, d or "", p.address, p.notes) for p, d in rows]


def add_place(store: Store, name: str, kind: str = "その他", district_id: str | None = None,
              address: str = "", notes: str = "") -> str:
    require(manages_registers(store.actor.role) or store.actor.role == Role.STAFF)
    values = {
        "name": required_text(name, "拠点の名前"),
        "kind": choice(kind or "その他", PLACE_KINDS, "拠点の種類"),
        "district_id": district_id or None,
        "address": optional_text(address, "住所", 300),
        "notes": optional_text(notes, "メモ", 2000),
    }
    with store.write() as w:
        if district_id:
            w.require_alive(District, district_id, "指定された地区が見つかりません。地区を選び直してください。")
        return w.insert(Place, values)
