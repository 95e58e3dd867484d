"""Districts (地区 → 行政区/集落), hierarchical."""

from dataclasses import dataclass

import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.roles import manages_registers
from shakyo_desk.store.models import District
from shakyo_desk.store.services._common import optional_text, require, required_text
from shakyo_desk.store.store import Store


@dataclass(frozen=True)
class DistrictInfo:
    id: str
    name: str
    kana: str
    parent_id: str | None
    depth: int
    path: str  # 中央地区 › 上町


def list_districts(store: Store) -> list[DistrictInfo]:
    """Depth-first in sort order, so a flat list reads as a tree."""
    with store.read() as s:
        rows = s.execute(
            sa.select(District).where(District.deleted_at.is_(None)).order_by(District.sort_order, District.kana, District.name)
        ).scalars().all()
        rows = [(r.id, r.name, r.kana, r.parent_id) for r in rows]
    children: dict[str | None, list] = {}
    ids = {r[0] for r in rows}
    for row in rows:
        parent = row[3] if row[3] in ids else None
        children.setdefault(parent, []).append(row)
    result: list[DistrictInfo] = []

    def walk(parent: str | None, depth: int, prefix: str) -> None:
        for rid, name, kana, parent_id in children.get(parent, []):
            path = f"{prefix} › {name}" if prefix else name
            result.append(DistrictInfo(rid, name, kana, parent_id, depth, path))
            walk(rid, depth + 1, path)

    walk(None, 0, "")
    return result


def find_district(store: Store, name_or_id: str) -> DistrictInfo:
    wanted = (name_or_id or "").strip()
    for d in list_districts(store):
        if wanted in (d.id, d.name, d.path):
            return d
    raise NotFound(f"地区「{wanted}」は登録されていません。地区名を確かめてください。")


def add_district(store: Store, name: str, kana: str = "", parent_id: str | None = None) -> str:
    require(manages_registers(store.actor.role))
    name = required_text(name, "地区名", 100)
    existing = list_districts(store)
    if parent_id and parent_id not in {d.id for d in existing}:
        raise NotFound("上位の地区が見つかりません。地区の一覧を更新して選び直してください。")
    if any(d.name == name and d.parent_id == parent_id for d in existing):
        raise InvalidInput(f"地区「{name}」はすでに登録されています。別の名前にしてください。")
    with store.write() as w:
        return insert_district(w, name, kana, parent_id, len(existing))


def insert_district(w, name: str, kana: str, parent_id: str | None, sort_order: int) -> str:
    """Within a write (``add_district``, or a list import registering the districts its list
    names): the district row. The caller has checked the right and that the name is new."""
    return w.insert(District, {"name": required_text(name, "地区名", 100),
                               "kana": optional_text(kana, "地区名のふりがな", 200),
                               "parent_id": parent_id, "sort_order": sort_order})


def rename_district(store: Store, district_id: str, name: str, kana: str | None = None) -> None:
    require(manages_registers(store.actor.role))
    changes = {"name": required_text(name, "地区名", 100)}
    if kana is not None:
        changes["kana"] = optional_text(kana, "地区名のふりがな", 200)
    with store.write() as w:
        w.update(District, district_id, changes)


def subtree_ids(store: Store, district_id: str) -> list[str]:
    """The district and every 行政区/集落 below it: filtering by 北地区 includes its hamlets."""
    from shakyo_desk.store.store import with_subdistricts

    with store.read() as s:
        return sorted(with_subdistricts(s, [district_id]))
