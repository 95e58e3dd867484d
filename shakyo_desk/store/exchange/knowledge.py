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


MAX_PEER_EPOCHS = 16  # epochs of one device id whose knowledge we keep (copies, restores)


def of_peer(conn: Connection, roster: dict, device_id: str) -> dict[str, int]:
    """What the device may be assumed to hold: the knowledge its bundles declared, per epoch of
    the sender. Two copies of one installation (a copied folder, a restored backup used beside
    the original) send under one device id but different epochs and hold different things, so
    the answer is what *every* epoch still speaking for that id holds (the element-wise
    minimum). A device is never assumed to hold a change merely because it carries its id: a
    copy does not hold the other copy's work, and a restored store does not hold what it wrote
    after its backup."""
    ours = own(conn)
    stored = conn.execute(sa.select(SyncPeer.knowledge).where(SyncPeer.device_id == device_id)).scalar()
    if stored:
        vectors = []
        for epoch, declared in peer_vectors(stored).items():
            # Each epoch it spoke in holds what it wrote in that epoch, also after its last bundle
            # (a change of it that reached us through someone else is never sent back to it).
            mine = {f"{device_id}:{epoch}"} if epoch else {k for k in declared if split(k)[0] == device_id}
            vectors.append({**declared, **{k: max(declared.get(k, 0), ours[k]) for k in mine if k in ours}})
        if vectors:
            return minimum(vectors)
    entry = rosters.device(roster, device_id)
    vv = dict(entry.get("joined_knowledge") or {}) if entry else {}
    # Not heard from yet: it holds at least what it wrote itself (its enrolment's knowledge).
    for key, seq in ours.items():
        if split(key)[0] == device_id and vv.get(key, 0) < seq:
            vv[key] = seq
    return vv


def peer_vectors(stored: dict) -> dict[int, dict[str, int]]:
    """sync_peer.knowledge → {sender epoch: declared knowledge}. Stored as
    {"by_epoch": {"<epoch>": {"seq": bundle number, "order": arrival, "knowledge": {…}}}}; a
    plain version vector (written before) counts as one epoch's."""
    by_epoch = stored.get("by_epoch") if isinstance(stored, dict) else None
    if isinstance(by_epoch, dict):
        return {int(e): dict(v["knowledge"]) for e, v in by_epoch.items()}
    return {0: dict(stored)} if isinstance(stored, dict) else {}


def with_peer_bundle(stored: dict | None, epoch: int, seq: int, declared: dict[str, int]) -> dict:
    """sync_peer.knowledge after a bundle (sender epoch, number) declaring `declared`: that
    epoch's entry is replaced by a newer bundle's, never by an older one filling a gap.

    An epoch stops holding the others back once a later-arriving bundle of another epoch of the
    same id declares everything it did: a restored store that has caught up (the old epoch is
    gone for good), or a copy that has everything the other copy had (the other copy's next
    bundle brings its epoch back). Otherwise a dead epoch's knowledge would make every bundle
    carry, for ever, everything since the old epoch's last word."""
    stored = stored if isinstance(stored, dict) else {}
    if "by_epoch" in stored:
        by_epoch = {e: dict(v) for e, v in stored["by_epoch"].items()}
    else:
        by_epoch = {"0": {"seq": 0, "order": 0, "knowledge": dict(stored)}} if stored else {}
    order = 1 + max((v.get("order", 0) for v in by_epoch.values()), default=0)
    held = by_epoch.get(str(epoch))
    if held is None or held["seq"] <= seq:
        by_epoch[str(epoch)] = {"seq": seq, "order": order,
                                "knowledge": {k: v for k, v in declared.items() if isinstance(v, int)}}
    keep = {e for e, v in by_epoch.items()
            if not any(o != e and w.get("order", 0) > v.get("order", 0) and _covers(w["knowledge"], v["knowledge"])
                       for o, w in by_epoch.items())}
    if len(keep) > MAX_PEER_EPOCHS:
        keep = set(sorted(keep, key=lambda e: by_epoch[e].get("order", 0))[-MAX_PEER_EPOCHS:])
    return {"by_epoch": {e: by_epoch[e] for e in sorted(keep)}}


MAX_PEER_EPOCHS = 16  # epochs of one device id whose knowledge we keep (copies, restores)


def _covers(a: dict[str, int], b: dict[str, int]) -> bool:
    return all(a.get(k, 0) >= v for k, v in b.items())


def minimum(vvs: list[dict[str, int]]) -> dict[str, int]:
    """What every one of these devices holds (for a bundle meant for all of them)."""
    if not vvs:
        return {}
    keys = set().union(*vvs)
    return {k: min(vv.get(k, 0) for vv in vvs) for k in keys}
