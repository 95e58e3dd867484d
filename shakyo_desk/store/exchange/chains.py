"""Origin chains in the store (sync/chain.py, docs/sync-protocol.md "Origin chains"): the chain
value at a held change, legacy epochs, the chain entries of an export, and chain values filled
in when first needed.

`change_log.chain` is a change's chain value when known; NULL when not computed yet (a change
received from its origin itself, whose bundle signature vouches for it: computing every value
of a full bundle on import would cost more than a tenth of the import); OFF (empty) when it is
known not to lie on the chain this store holds (a copy's, or a lie of its origin). Our own
changes get theirs as they are written; `fill` computes the others up to a head before they
are relayed or compared."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shakyo_desk.store.exchange.apply import STORED_TEXT
from shakyo_desk.store import changes_codec
from shakyo_desk.store.models import ChangeLog, SyncKnowledge, SyncLegacyEpoch
from shakyo_desk.sync import chain
from shakyo_desk.sync.chain import storage_json
from shakyo_desk.sync import roster as rosters
from shakyo_desk.sync.bundle import public_key_from

OFF = b""


def wire_digest(c: dict, keep_text: bool = False) -> bytes:
    """A received change's digest (sync/chain.py), from the text this store will hold for it:
    its values and base as `chain.storage_json` writes them, its time as the store gives it back.
    A sender whose text differs (spaces, escapes, another time form) fails here, at the first
    device, rather than at the next one that relays it."""
    sealed = c.get("sealed")
    if sealed is not None:
        values = bytes.fromhex(sealed)
    else:
        text = storage_json(c["fields"])
        if keep_text:  # for the change log's row: apply._insert_log writes it as it is
            c[STORED_TEXT] = text
        values = chain.values_hash(text)
    base = c["base"]
    return chain.digest_of(c["origin"], c["epoch"], c["seq"], c["entity"], c["entity_id"], c["op"],
                           storage_json(base) if base else "{}", c["hlc"], c["staff_id"],
                           datetime.fromisoformat(c["recorded_at"]).isoformat(), values)


def tip(conn: Connection, origin: str, epoch: int, seq: int) -> bytes | None:
    """The chain value of (origin, epoch) after its change `seq` as this store holds it: the
    genesis value before the first; None when that change is held off the chain, its value is
    not computed yet or it is not held."""
    if seq == 0:
        return chain.genesis(origin, epoch)
    return conn.execute(sa.select(ChangeLog.chain).where(
        ChangeLog.origin_device == origin, ChangeLog.epoch == epoch, ChangeLog.seq == seq)).scalar() or None


def fill(conn: Connection, origin: str, epoch: int, upto: int, public_key) -> None:
    """Compute the missing chain values of (origin, epoch) up to `upto` from the last one known,
    keeping them only as far as a head (the origin's signature, kept on the change that ended a
    range we received) confirms them. A head that does not confirm what we hold marks the
    changes since the last confirmed one OFF: we hold something other than what it signed.
    Rows are read as stored text (what the digest binds) and written back in batches: a
    laptop's first relay of a whole council computes 440,000 values."""
    table = ChangeLog.__table__
    of = (table.c.origin_device == origin, table.c.epoch == epoch)
    start = conn.execute(sa.select(sa.func.min(table.c.seq)).where(
        *of, table.c.seq <= upto, table.c.chain.is_(None))).scalar()
    if start is None:
        return
    value = tip(conn, origin, epoch, start - 1)
    if value is None:
        return
    when = table.c.recorded_at.type.dialect_impl(conn.dialect).result_processor(conn.dialect, None)
    orders = changes_codec.KeyOrders(conn)
    seqs: list[int] = []
    values: list[bytes] = []
    expected = start
    cursor = conn.connection.cursor()  # (the driver's tuples: a first relay reads 440,000 rows)
    try:
        cursor.execute(
            "SELECT seq, entity, entity_id, op, key_order, packed, base, hlc, staff_id, recorded_at, sealed, chain, "
            "head FROM change_log WHERE origin_device = ? AND epoch = ? AND seq BETWEEN ? AND ? ORDER BY seq",
            (origin, epoch, start, upto))
        while True:
            batch = cursor.fetchmany(_BATCH)
            if not batch:
                return
            texts = changes_codec.resolve(conn, orders, [row[1:3] + row[4:6] for row in batch])
            for (seq, entity, entity_id, op, _, _, base, stamp, staff_id, recorded_at, sealed, held, head), fields in (
                    zip(batch, texts, strict=True)):
                if seq != expected or held == OFF:
                    return
                expected += 1
                hashed = bytes.fromhex(sealed) if sealed is not None else chain.values_hash(fields)
                value = chain.step(value, chain.digest_of(origin, epoch, seq, entity, entity_id, op, base, stamp,
                                                          staff_id, when(recorded_at).isoformat(), hashed))
                if held is not None and held != value:
                    return  # (a value computed on import from a relay's range: ours differ from here)
                seqs.append(seq)
                values.append(value)
                if head is not None:
                    good = chain.head_valid(public_key, origin, epoch, seq, value, head)
                    _set(conn, origin, epoch, seqs, values if good else [OFF] * len(seqs))
                    seqs, values = [], []
                    if not good:
                        return
    finally:
        cursor.close()


_BATCH = 500  # rows resolved at a time


def _set(conn: Connection, origin: str, epoch: int, seqs: list[int], values: list[bytes]) -> None:
    for at in range(0, len(seqs), 20_000):
        conn.exec_driver_sql(
            "UPDATE change_log SET chain = ? WHERE origin_device = ? AND epoch = ? AND seq = ?",
            [(v, origin, epoch, s) for s, v in zip(seqs[at:at + 20_000], values[at:at + 20_000])])


def legacy(conn: Connection) -> set[tuple[str, int]]:
    return set(map(tuple, conn.execute(sa.select(SyncLegacyEpoch.origin, SyncLegacyEpoch.epoch)).all()))


def mark_legacy(conn: Connection, pairs: set[tuple[str, int]]) -> None:
    known = legacy(conn)
    fresh = [{"origin": o, "epoch": e} for o, e in sorted(pairs - known)]
    if fresh:
        conn.execute(SyncLegacyEpoch.__table__.insert(), fresh)


def attach(conn: Connection, me, roster: dict, ranges: list[dict], known: dict[str, int]) -> list[dict]:
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
        origin, epoch, first, last = r["origin"], r["epoch"], r["first"], r["last"]
        key = f"{origin}:{epoch}"
        if (origin, epoch) in old:
            kept.append(r)
            continue
        if origin == me.device_id:
            start, value = tip(conn, origin, epoch, first - 1), tip(conn, origin, epoch, last)
            if start is None or value is None:
                kept.append(r)  # (not expected: our epochs since 0011 are chained from their first change)
            else:
                signature = chain.sign_head(me.keys.signing_key, origin, epoch, last, value)
                kept.append({**r, "chain": {"from": start.hex(), "head": value.hex(), "sig": signature}})
            continue
        device = rosters.device(roster, origin)
        if device is not None and device["revoked_at"] is not None and me.is_office:
            # A revoked device's changes as the roster's `kept` says the office held them: sent
            # on the office's word (exchange/origins.py), chained or not.
            seq = next((k["seq"] for k in device.get("kept") or () if k.get("epoch") == epoch), 0)
            if min(last, seq) >= first:
                kept.append({**r, "last": min(last, seq)})
            known[key] = min(known.get(key, 0), max(first - 1, min(last, seq)))
            continue
        if device is not None:
            fill(conn, origin, epoch, last, public_key_from(device["public_key"]))
        of = (table.c.origin_device == origin, table.c.epoch == epoch)
        broken = conn.execute(sa.select(sa.func.min(table.c.seq)).where(
            *of, table.c.seq.between(first, last), sa.or_(table.c.chain.is_(None), table.c.chain == OFF))).scalar()
        if broken is not None:
            last = broken - 1
        head = conn.execute(sa.select(table.c.seq, table.c.chain, table.c.head).where(
            *of, table.c.seq.between(first, last), table.c.head.is_not(None))
            .order_by(table.c.seq.desc()).limit(1)).first()
        start = tip(conn, origin, epoch, first - 1)
        if device is None or head is None or start is None:
            known[key] = min(known.get(key, 0), first - 1)
            continue
        known[key] = min(known.get(key, 0), head.seq)
        kept.append({**r, "last": head.seq, "chain": {"from": start.hex(), "head": head.chain.hex(), "sig": head.head}})
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


def after_join(conn: Connection, meta: dict) -> None:
    """A whole-council laptop joined from an enrolment file: the epochs from before origin
    chains, and the heads that let it relay what it received (`fill` checks them when needed)."""
    pairs = meta.get("legacy") or []
    mark_legacy(conn, {(o, e) for o, e in pairs if isinstance(o, str) and isinstance(e, int)})
    table = ChangeLog.__table__
    for key, head in (meta.get("heads") or {}).items():
        origin, _, epoch_text = key.rpartition(":")
        if epoch_text.isdigit() and isinstance(head, list) and len(head) == 2 and isinstance(head[0], int):
            conn.execute(table.update().where(table.c.origin_device == origin, table.c.epoch == int(epoch_text),
                                              table.c.seq == head[0]).values(head=str(head[1])))


def kept(conn: Connection, origin: str, public_key) -> list[dict]:
    """For the roster when a device is revoked: per epoch of it, how far this store (the
    office) holds its changes, and the chain value there when it is on the chain. Others then
    take its changes only up to there, and only those changes (exchange/origins.py): its key
    proves nothing any more. Without a chain value (an epoch from before origin chains, changes
    it sent unchained) only the office passes them on."""
    table = SyncKnowledge.__table__
    old = legacy(conn)
    out = []
    for epoch, seq in conn.execute(sa.select(table.c.epoch, table.c.seq).where(table.c.origin == origin)
                                   .order_by(table.c.epoch)):
        if (origin, epoch) in old or seq == 0:
            out.append({"epoch": epoch, "seq": seq, "chain": None})
            continue
        fill(conn, origin, epoch, seq, public_key)
        value = tip(conn, origin, epoch, seq)  # (None: unchained here; then only the office passes it on)
        out.append({"epoch": epoch, "seq": seq, "chain": value.hex() if value is not None else None})
    return out
