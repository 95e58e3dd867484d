"""Origin chains in the store (sync/chain.py, docs/sync-protocol.md "Origin chains"): the chain
value at a held change, legacy epochs, and chain values rebuilt over held changes."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shakyo_desk.store.exchange.apply import to_wire
from shakyo_desk.store.models import ChangeLog, SyncKnowledge, SyncLegacyEpoch
from shakyo_desk.sync import chain
from shakyo_desk.sync.bundle import public_key_from


def tip(conn: Connection, origin: str, epoch: int, seq: int) -> bytes | None:
    """The chain value of (origin, epoch) after its change `seq` as this store holds it: the
    genesis value before the first, None when that change is held off the chain or not at all."""
    if seq == 0:
        return chain.genesis(origin, epoch)
    return conn.execute(sa.select(ChangeLog.chain).where(
        ChangeLog.origin_device == origin, ChangeLog.epoch == epoch, ChangeLog.seq == seq)).scalar()


def legacy(conn: Connection) -> set[tuple[str, int]]:
    return set(map(tuple, conn.execute(sa.select(SyncLegacyEpoch.origin, SyncLegacyEpoch.epoch)).all()))


def mark_legacy(conn: Connection, pairs: set[tuple[str, int]]) -> None:
    known = legacy(conn)
    fresh = [{"origin": o, "epoch": e} for o, e in sorted(pairs - known)]
    if fresh:
        conn.execute(SyncLegacyEpoch.__table__.insert(), fresh)


def rebuild(conn: Connection, origin: str, epoch: int) -> int:
    """Chain values for the held changes of (origin, epoch) from its first on, as far as they
    are held without a gap (a store joined from an enrolment file, which carries changes only).
    Returns the seq reached."""
    table = ChangeLog.__table__
    value, seq = chain.genesis(origin, epoch), 0
    updates = []
    for row in conn.execute(sa.select(table).where(table.c.origin_device == origin, table.c.epoch == epoch)
                            .order_by(table.c.seq)):
        if row.seq != seq + 1:
            break
        value, seq = chain.step(value, to_wire(row)), row.seq
        updates.append({"o": origin, "e": epoch, "s": seq, "c": value})
    if updates:
        conn.execute(table.update().where(table.c.origin_device == sa.bindparam("o"), table.c.epoch == sa.bindparam("e"),
                                          table.c.seq == sa.bindparam("s")).values(chain=sa.bindparam("c")), updates)
    return seq


def attach(conn: Connection, me, ranges: list[dict], known: dict[str, int]) -> list[dict]:
    """Each range with its origin chain (`from`, `head`, `sig`) for a bundle to full-scope
    devices. Our own ranges get a head signed now. Another origin's range ends at the last head
    we hold on an unbroken chain (a relay cannot sign for the origin); a range we cannot vouch
    for that way is left out. `known` (the knowledge the manifest declares) is lowered to what
    we can pass on, so receivers do not wait for changes that only others can bring them.
    Epochs from before origin chains go without (`legacy`)."""
    old = legacy(conn)
    table = ChangeLog.__table__
    kept = []
    for r in ranges:
        origin, epoch, first = r["origin"], r["epoch"], r["first"]
        key = f"{origin}:{epoch}"
        if (origin, epoch) in old:
            kept.append(r)
            continue
        start = tip(conn, origin, epoch, first - 1)
        last = r["last"]
        if origin != me.device_id:
            of = (table.c.origin_device == origin, table.c.epoch == epoch)
            broken = conn.execute(sa.select(sa.func.min(table.c.seq)).where(
                *of, table.c.seq.between(first, last), table.c.chain.is_(None))).scalar()
            if broken is not None:
                last = broken - 1
            last = conn.execute(sa.select(sa.func.max(table.c.seq)).where(
                *of, table.c.seq.between(first, last), table.c.head.is_not(None))).scalar() or 0
        value = tip(conn, origin, epoch, last) if last >= first else None
        if origin == me.device_id and (start is None or value is None):
            kept.append(r)  # (not expected: our epochs since 0011 are chained from their first change)
            continue
        if start is None or value is None:
            known[key] = min(known.get(key, 0), first - 1)
            continue
        if origin == me.device_id:
            signature = chain.sign_head(me.keys.signing_key, origin, epoch, last, value)
        else:
            signature = conn.execute(sa.select(table.c.head).where(
                table.c.origin_device == origin, table.c.epoch == epoch, table.c.seq == last)).scalar()
            known[key] = min(known.get(key, 0), last)
        kept.append({**r, "last": last, "chain": {"from": start.hex(), "head": value.hex(), "sig": signature}})
    return kept


def enrolment_meta(conn: Connection, me, known: dict[str, int]) -> dict:
    """What a whole-council laptop needs besides the changes to relay them later: the epochs
    from before origin chains, and per chained epoch the last head held (our own signed now)."""
    old = legacy(conn)
    table = ChangeLog.__table__
    heads = {}
    for key, seq in known.items():
        origin, _, epoch_text = key.rpartition(":")
        epoch = int(epoch_text)
        if (origin, epoch) in old or seq == 0:
            continue
        if origin == me.device_id:
            value = tip(conn, origin, epoch, seq)
            if value is not None:
                heads[key] = [seq, chain.sign_head(me.keys.signing_key, origin, epoch, seq, value)]
            continue
        row = conn.execute(sa.select(table.c.seq, table.c.head).where(
            table.c.origin_device == origin, table.c.epoch == epoch, table.c.seq <= seq, table.c.head.is_not(None))
            .order_by(table.c.seq.desc()).limit(1)).first()
        if row is not None:
            heads[key] = [row.seq, row.head]
    return {"legacy": sorted([o, e] for o, e in old), "heads": heads}


def after_join(conn: Connection, roster: dict, meta: dict) -> None:
    """A whole-council laptop joined from an enrolment file: chain values over what it received,
    and the heads that let it relay them (each checked against its origin's key)."""
    pairs = meta.get("legacy") or []
    mark_legacy(conn, {(o, e) for o, e in pairs if isinstance(o, str) and isinstance(e, int)})
    old = legacy(conn)
    keys = {d["device_id"]: d["public_key"] for d in roster["devices"]}
    table = ChangeLog.__table__
    for key, head in (meta.get("heads") or {}).items():
        origin, _, epoch_text = key.rpartition(":")
        if not epoch_text.isdigit() or (origin, int(epoch_text)) in old or origin not in keys:
            continue
        epoch = int(epoch_text)
        reached = rebuild(conn, origin, epoch)
        seq, signature = head
        value = tip(conn, origin, epoch, seq) if isinstance(seq, int) and 0 < seq <= reached else None
        if value is not None and chain.head_valid(public_key_from(keys[origin]), origin, epoch, seq, value, signature):
            conn.execute(table.update().where(table.c.origin_device == origin, table.c.epoch == epoch,
                                              table.c.seq == seq).values(head=signature))


def kept(conn: Connection, origin: str) -> list[dict]:
    """For the roster when a device is revoked: per epoch of it, how far this store (the
    office) holds its changes and the chain value there. Others then take its changes only up
    to there, and only those changes (exchange/origins.py): its key proves nothing any more."""
    table = SyncKnowledge.__table__
    out = []
    for epoch, seq in conn.execute(sa.select(table.c.epoch, table.c.seq).where(table.c.origin == origin)
                                   .order_by(table.c.epoch)):
        value = tip(conn, origin, epoch, seq) if seq else None
        out.append({"epoch": epoch, "seq": seq, "chain": value.hex() if value is not None else None})
    return out
