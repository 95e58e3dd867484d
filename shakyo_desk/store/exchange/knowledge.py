"""Knowledge: which changes a device holds, as a version vector "<device>:<epoch>" → highest
contiguous seq. Ours is kept in `sync_knowledge` (plus our own counter); a peer's is what its
last bundle told us, or what the roster recorded when it was enrolled."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shakyo_desk.store.models import DeviceState, SyncKnowledge, SyncPeer
from shakyo_desk.sync import roster as rosters


def own(conn: Connection) -> dict[str, int]:
    vv = {f"{o}:{e}": s for o, e, s in conn.execute(
        sa.select(SyncKnowledge.origin, SyncKnowledge.epoch, SyncKnowledge.seq))}
    state = conn.execute(sa.select(DeviceState.device_id, DeviceState.epoch, DeviceState.next_seq)
                         .where(DeviceState.id == 1)).one()
    if state.next_seq > 1:
        vv[f"{state.device_id}:{state.epoch}"] = state.next_seq - 1
    return vv


def save(conn: Connection, vv: dict[str, int]) -> None:
    table = SyncKnowledge.__table__
    current = {f"{o}:{e}": s for o, e, s in conn.execute(sa.select(table.c.origin, table.c.epoch, table.c.seq))}
    for key, seq in vv.items():
        if current.get(key) == seq:
            continue
        origin, epoch = split(key)
        if key in current:
            conn.execute(table.update().where(table.c.origin == origin, table.c.epoch == epoch), {"seq": seq})
        else:
            conn.execute(table.insert(), {"origin": origin, "epoch": epoch, "seq": seq})


def split(key: str) -> tuple[str, int]:
    origin, _, epoch = key.rpartition(":")
    return origin, int(epoch)


def of_peer(conn: Connection, roster: dict, device_id: str) -> dict[str, int]:
    stored = conn.execute(sa.select(SyncPeer.knowledge).where(SyncPeer.device_id == device_id)).scalar()
    if stored is not None:
        vv = dict(stored)
    else:
        entry = rosters.device(roster, device_id)
        vv = dict(entry.get("joined_knowledge") or {}) if entry else {}
    # A device holds at least every change it wrote itself: never send its own work back.
    for key, seq in own(conn).items():
        if split(key)[0] == device_id and vv.get(key, 0) < seq:
            vv[key] = seq
    return vv


def minimum(vvs: list[dict[str, int]]) -> dict[str, int]:
    """What every one of these devices holds (for a bundle meant for all of them)."""
    if not vvs:
        return {}
    keys = set().union(*vvs)
    return {k: min(vv.get(k, 0) for vv in vvs) for k in keys}
