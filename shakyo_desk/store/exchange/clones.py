"""Copies of one installation (a copied data folder, an enrolment file joined twice, a backup used
beside the original): two stores that share a device id and wrote different changes under the
same (device, epoch, seq). docs/sync-protocol.md, "Copies of one installation".

- **Detected** by whoever meets the evidence: a bundle signed with our own key that we never
  wrote, a change of our own origin we hold with other content or never issued, a change of
  another origin we hold with other content that the origin vouches for (its own bundle, or a
  chain its signed head ends: importing._apply), a fork in another device's bundle chain, or a
  claim in a received manifest (`clones`). Each detection is an audit entry
  `sync.clone_detected` {origin, epoch, same_through}: `same_through` is the highest seq of that
  (device, epoch) known to be the same on both copies (our own content compared, or the first
  bundle of the forked chain starting above it; 0 from another origin's content, which we may
  hold from either copy); the copies re-issue above it.
- **Resolved** by each copy itself, in the transaction that learns of it: if the cloned epoch is
  its current one it starts a fresh *random* epoch; then it re-issues, under its current epoch,
  every change it holds of (its device, the cloned epoch) above `same_through`, with the same
  content and a base that also covers the original dot (and the re-issues of earlier ones).
  Whatever content a receiver holds at the colliding dot is then covered by the re-issue of
  that very content, so every device merges the same live set, in any arrival order. Audit
  entry `sync.clone_reissued` {origin, epoch, from, count, epoch_now}.
- **Told on**: every manifest carries the clones its writer knows (`clones`, with `reissued`
  once some copy's re-issue has been seen), so the copies learn of it even when only the office
  saw the fork, and `check` on any device reports a clone that no copy has re-issued yet
  (`sync.clone_resolved` records that a re-issue was seen)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shakyo_desk.store.exchange import chains
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.store.exchange.apply import insert_log, refresh_entities, to_wire
from shakyo_desk.sync import chain
from shakyo_desk.store import changes_codec
from shakyo_desk.store.models import AuditLog, ChangeLog, DeviceState

DETECTED, REISSUED, RESOLVED = "sync.clone_detected", "sync.clone_reissued", "sync.clone_resolved"
MAX_CLAIMS = 1000  # clones a manifest may declare (a council meets a handful)


@dataclass
class Clone:
    origin: str
    epoch: int
    same_through: int = 0
    reissued: bool = False  # a copy's re-issue is here (at a copy: its own re-issue)


def known(conn: Connection) -> dict[tuple[str, int], Clone]:
    """Every clone this installation has learnt of, from its audit log."""
    own = conn.execute(sa.select(DeviceState.device_id).where(DeviceState.id == 1)).scalar()
    found: dict[tuple[str, int], Clone] = {}
    rows = conn.execute(sa.select(AuditLog.action, AuditLog.detail).where(
        AuditLog.action.in_((DETECTED, REISSUED, RESOLVED))).order_by(AuditLog.id))
    for action, detail in rows:
        if not isinstance(detail, dict) or not isinstance(detail.get("origin"), str) \
                or type(detail.get("epoch")) is not int:
            continue  # detections recorded before clones were tracked (detail: the bundle only)
        key = (detail["origin"], detail["epoch"])
        clone = found.setdefault(key, Clone(*key))
        if action == DETECTED:
            clone.same_through = max(clone.same_through, int(detail.get("same_through") or 0))
        elif action == REISSUED or (action == RESOLVED and key[0] != own):
            clone.reissued = True
    return found


def claims(conn: Connection) -> list[dict]:
    """What a manifest declares (`clones`): every clone we know, and whether a copy re-issued."""
    return [{"origin": c.origin, "epoch": c.epoch, "same_through": c.same_through, "reissued": c.reissued}
            for c in sorted(known(conn).values(), key=lambda c: (c.origin, c.epoch))][:MAX_CLAIMS]


def read_claims(manifest: dict) -> list[Clone] | None:
    """The manifest's `clones`, or None when malformed (the import refuses it as `format`)."""
    declared = manifest.get("clones", [])
    if not isinstance(declared, list) or len(declared) > MAX_CLAIMS:
        return None
    out = []
    for c in declared:
        if (not isinstance(c, dict) or not isinstance(c.get("origin"), str) or not 0 < len(c["origin"]) <= 200
                or type(c.get("epoch")) is not int or not 0 < c["epoch"] < 2**31
                or type(c.get("same_through", 0)) is not int or not 0 <= c.get("same_through", 0) <= 10**9
                or type(c.get("reissued", False)) is not bool):
            return None
        out.append(Clone(c["origin"], c["epoch"], c.get("same_through", 0), c.get("reissued", False)))
    return out


def note(w, origin: str, epoch: int, same_through: int = 0, how: str = "") -> bool:
    """Record a detection (once, and again only when it narrows what must be re-issued).
    Returns whether it was new."""
    current = known(w.conn).get((origin, epoch))
    if current is not None and current.same_through >= same_through:
        return False
    w.audit(DETECTED, detail={"origin": origin, "epoch": epoch, "same_through": same_through, "how": how})
    return current is None


def seen_reissued(w, origin: str, epoch: int) -> None:
    current = known(w.conn).get((origin, epoch))
    if current is None or not current.reissued:
        w.audit(RESOLVED, detail={"origin": origin, "epoch": epoch})


def my_epochs(conn: Connection, device_id: str, current: int) -> set[int]:
    """The epochs this installation wrote itself (device_state.own_epochs, kept by
    identity.start_new_epoch). Not every epoch of our device id we hold: a copy of us writes
    under it too, and taking the copy's fresh epochs for ours made two copies that exchange
    directly re-issue each other's changes at every exchange."""
    own = conn.execute(sa.select(DeviceState.own_epochs).where(DeviceState.id == 1)).scalar()
    return {current, *(own or ())}


def leave_epoch_if_cloned(w, epoch: int) -> bool:
    """Before anything of (our device, `epoch`) is stored that we did not write: if `epoch` is
    our current one, move to a fresh random epoch so we never issue one of those dots."""
    me = ident.load(w.conn)
    if epoch != me.epoch:
        return False
    ident.start_new_epoch(w.conn)
    return True


def resolve_own(w) -> list[Clone]:
    """Re-issue what this copy holds of each of its cloned epochs not re-issued yet."""
    conn = w.conn
    me = ident.load(conn)
    done = []
    mine = my_epochs(conn, me.device_id, me.epoch)
    for clone in known(conn).values():
        if clone.origin != me.device_id or clone.reissued or clone.epoch not in mine:
            continue
        leave_epoch_if_cloned(w, clone.epoch)
        count, first = reissue(conn, me.device_id, clone.epoch, clone.same_through + 1)
        w.audit(REISSUED, detail={"origin": me.device_id, "epoch": clone.epoch, "from": first, "count": count,
                                  "epoch_now": ident.load(conn).epoch})
        done.append(clone)
    return done


def reissue(conn: Connection, device_id: str, epoch: int, first: int) -> tuple[int, int]:
    """Copy every held change of (device_id, epoch) from seq `first` on under our current epoch:
    same entity, operation, fields, stamp and author; a base that also covers the original dot
    and, translated, the re-issues of the earlier ones. Returns (count, first)."""
    rows = changes_codec.rows(conn, ChangeLog.origin_device == device_id, ChangeLog.epoch == epoch,
                              ChangeLog.seq >= first, order_by=(ChangeLog.seq,))
    if not rows:
        return 0, first
    me = ident.load(conn)
    old_key, new_key = f"{device_id}:{epoch}", f"{device_id}:{me.epoch}"
    olds = [r.seq for r in rows]
    start = me.next_seq
    value = chains.tip(conn, me.device_id, me.epoch, start - 1)  # re-issues extend our own chain
    wire = []
    touched: dict[str, set[str]] = {}
    for i, row in enumerate(rows):
        change = to_wire(row)
        base = dict(change["base"] or {})
        seen = base.get(old_key, 0)
        if isinstance(seen, int) and seen >= first:
            at = bisect_right(olds, seen) - 1  # the last re-issued change the editor had seen
            if at >= 0:
                base[new_key] = max(base.get(new_key, 0), start + at)
        base[old_key] = max(seen if isinstance(seen, int) else 0, row.seq)
        change.update(epoch=me.epoch, seq=start + i, base=base)
        if value is not None:
            value = change["chain"] = chain.step(value, chains.wire_digest(change))
        wire.append(change)
        touched.setdefault(row.entity, set()).add(row.entity_id)
    insert_log(conn, wire)
    ident.set_state(conn, next_seq=start + len(wire))
    refresh_entities(conn, touched)
    return len(wire), first


@dataclass
class Compare:
    """Held dots of the watched (origin, epoch)s met in a bundle, compared by content (entity,
    record, operation, stamp: what a purge leaves intact). Differing content is a clone;
    identical content proves the dot was written before the copy was made."""

    conn: Connection
    keys: set[tuple[str, int]]
    pending: list[dict] = field(default_factory=list)
    differ: dict[tuple[str, int], int] = field(default_factory=dict)  # lowest differing seq
    same: dict[tuple[str, int], int] = field(default_factory=dict)  # highest identical seq

    def see(self, change: dict) -> None:
        self.pending.append(change)
        if len(self.pending) >= 2000:
            self.flush()

    def flush(self) -> None:
        by_key: dict[tuple[str, int], list[dict]] = {}
        for c in self.pending:
            by_key.setdefault((c["origin"], c["epoch"]), []).append(c)
        self.pending = []
        for (origin, epoch), group in by_key.items():
            seqs = [c["seq"] for c in group]
            held = {r.seq: r for r in self.conn.execute(
                sa.select(ChangeLog.seq, ChangeLog.entity, ChangeLog.entity_id, ChangeLog.op, ChangeLog.hlc).where(
                    ChangeLog.origin_device == origin, ChangeLog.epoch == epoch,
                    ChangeLog.seq.between(min(seqs), max(seqs))))}
            for c in group:
                row = held.get(c["seq"])
                if row is None:
                    continue
                key = (origin, epoch)
                if (row.entity, row.entity_id, row.op, row.hlc) == (c["entity"], c["entity_id"], c["op"], c["hlc"]):
                    self.same[key] = max(self.same.get(key, 0), c["seq"])
                else:
                    self.differ[key] = min(self.differ.get(key, c["seq"]), c["seq"])

    def evidence(self, key: tuple[str, int]) -> int:
        """The highest seq proven the same on both copies (below the first differing one)."""
        low = self.differ.get(key)
        same = self.same.get(key, 0)
        return same if low is None or same < low else 0


def unresolved(conn: Connection) -> list[Clone]:
    return [c for c in known(conn).values() if not c.reissued]


def watch_keys(conn: Connection, me: ident.Identity, extra: Iterable[tuple[str, int]] = ()) -> set[tuple[str, int]]:
    """Whose held dots a bundle's changes are compared against: our own origin (every epoch)."""
    return {(me.device_id, e) for e in my_epochs(conn, me.device_id, me.epoch)} | set(extra)
