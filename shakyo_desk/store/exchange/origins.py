"""Origin authentication on import (sync/chain.py; docs/sync-protocol.md "Origin chains").

Each range of a bundle carries its origin's chain value just before the range and the
origin's signed head at its end. `Origins.run` checks a range change by change as the payload
streams: the chain recomputed over the carried changes must reach the head, and the head must
be signed by that origin's key from the roster. So no device can make changes under another
device's name, alter a relayed change or claim changes it does not carry, whoever relays them.

- A range without a chain is taken only for an epoch written before origin chains (0011): one
  this store knew then, one its own origin declares so, or one the office passes on.
- A revoked device's key proves nothing any more: its changes are taken only as far as the
  roster's `kept` says the office held them when it revoked the device (and, for a chained
  epoch, only if the chain there is the kept value). The rest is set aside, not refused:
  an honest device may still be relaying them.
- A district-limited laptop does not check: it receives only from the office, which checked
  (the office holds the council's admin key and could rewrite the roster anyway).

Where the carried chain does not continue the chain this store holds (two copies of one
installation wrote different changes under one epoch) the changes are still the origin's,
and are taken where their dots are free, but stored off the chain (`chain` NULL): we never
relay a mixture of two histories as one."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shakyo_desk.store import changes_codec
from shakyo_desk.store.exchange import chains
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.store.models import ChangeLog
from shakyo_desk.sync import chain
from shakyo_desk.sync import roster as rosters
from shakyo_desk.sync.bundle import BundleRefused, public_key_from


def _refuse(name: str, what: str) -> BundleRefused:
    return BundleRefused("origin", f"この同期ファイル（{name}が書き出したもの）には、{what}。"
                                   "その端末が不正に使われているおそれがあります。取り込まずに隔離しました。"
                                   "管理者に知らせてください。")


UNSIGNED = "書いた端末の署名で確かめられない変更が含まれています"
FORGED = "書いた端末の署名と合わない変更（ほかの端末になりすました変更か、書き換えられた変更）が含まれています"
BLANKED = "消去されていない記録の内容が消された変更が含まれています"


@dataclass
class Run:
    """One range as its changes stream by."""

    origins: Origins
    origin: str
    epoch: int
    last: int
    value: bytes | None  # the chain before the next change (None: not checked)
    head: bytes | None = None
    signature: str | None = None
    key: object = None  # the origin's public key for the head
    kept: tuple[int, bytes | None] | None = None  # a revoked origin: (seq, chain) the office held
    aside: bool = False  # a revoked origin's range that is not what the office kept (see)
    held: list[dict] | None = None  # a revoked origin's new changes, until the kept value is met
    first_new: int | None = None  # the first change we store, and the chain value before it
    before_new: bytes | None = None

    def see(self, change: dict, new: bool) -> None:
        """`new`: the change will be stored (applied now or parked) — it gets its chain value."""
        if self.value is None:
            if new and self.signature is not None and change["seq"] == self.last:
                change["head"] = self.signature  # its origin's own range: checked by chains.fill
            return
        before = self.value
        self.value = chain.step(before, chains.wire_digest(change, keep_text=new))
        if self.kept is not None and change["seq"] == self.kept[0] and self.kept[1] is not None \
                and self.value != self.kept[1]:
            # Not what the office kept: a copy's history of a revoked device, or a thief's. The
            # sender may be honest (it took them before the revocation): set aside, not refused.
            self.aside = True
        if new:
            if self.first_new is None:  # (kept with a parked change: the link is checked on release)
                self.first_new, self.before_new = change["seq"], before
                change["chain_before"] = before.hex()
            change["chain"] = self.value  # (hex once parked: importing._apply)
            if change["seq"] == self.last and self.kept is None:
                change["head"] = self.signature  # (checked in finish, before anything commits)

    def finish(self) -> None:
        if self.value is None:
            return
        if self.kept is None:
            if self.value != self.head or not chain.head_valid(self.key, self.origin, self.epoch, self.last,
                                                               self.head, self.signature):
                raise _refuse(self.origins.sender_name, FORGED)
        if self.first_new is not None:
            self.origins.links.append((self.origin, self.epoch, self.first_new, self.before_new, self.last))


class Origins:
    def __init__(self, conn: Connection, roster: dict, sender: str, *, filtered: bool):
        self.conn = conn
        self.me = ident.load(conn)
        self.sender = sender
        self.devices = {d["device_id"]: d for d in roster["devices"]}
        self.sender_name = self.devices[sender]["name"] if sender in self.devices else sender[:8]
        self.office = rosters.office_device_id(roster)
        self.checking = not filtered
        self.legacy = chains.legacy(conn)
        self.new_legacy: set[tuple[str, int]] = set()
        self.links: list[tuple[str, int, int, bytes, int]] = []  # origin, epoch, first new, chain before it, last
        self.purged: set[tuple[str, str]] = set()
        self.deferred: list[dict] = []

    def revoked(self, origin: str) -> bool:
        """Changes of `origin` are judged by the roster's `kept` (relayed by someone else)."""
        entry = self.devices.get(origin)
        return entry is not None and entry["revoked_at"] is not None and origin != self.sender

    def kept(self, origin: str, epoch: int) -> tuple[int, bytes | None]:
        """(seq, chain) of a revoked origin's epoch as the office held it; (0, None) if nothing."""
        for k in self.devices[origin].get("kept") or ():
            if isinstance(k, dict) and k.get("epoch") == epoch and isinstance(k.get("seq"), int):
                value = k.get("chain")
                return k["seq"], bytes.fromhex(value) if isinstance(value, str) and len(value) == 64 else None
        return 0, None

    def taken_part(self, r: dict) -> int:
        """The last seq of a declared range that may be taken (below `first`: none of it)."""
        if not self.checking or not self.revoked(r["origin"]):
            return r["last"]
        seq, value = self.kept(r["origin"], r["epoch"])
        if self.sender == self.office:
            return min(r["last"], seq)  # what it kept, on its word (it signs the roster anyway)
        if value is None or r["last"] < seq:
            return 0  # only the office vouches for this; or the kept value is not reached
        return seq

    def run(self, r: dict, last: int) -> Run:
        """The check of declared range `r` (taken up to `last`)."""
        origin, epoch = r["origin"], r["epoch"]
        entry = r.get("chain")
        if not self.checking:
            return Run(self, origin, epoch, last, None)
        if self.revoked(origin):
            seq, value = self.kept(origin, epoch)
            if self.sender == self.office:  # (taken_part: up to the kept seq, on its word)
                return Run(self, origin, epoch, last, None)
            if entry is None:
                raise _refuse(self.sender_name, UNSIGNED)
            return Run(self, origin, epoch, last, bytes.fromhex(entry["from"]), kept=(seq, value))
        if entry is None:
            if (origin, epoch) in self.legacy:
                return Run(self, origin, epoch, last, None)
            if self.sender == self.office:  # the office vouches for an epoch from before 0011
                self.new_legacy.add((origin, epoch))
                return Run(self, origin, epoch, last, None)
            if origin == self.sender:
                # Its own word (its bundle's signature) is enough for its own changes; not for
                # passing them on: they stay unchained here, so we never relay them (chains.attach).
                return Run(self, origin, epoch, last, None)
            raise _refuse(self.sender_name, UNSIGNED)
        if origin == self.sender:
            # Its own changes: the bundle's signature vouches for them. Their chain values are
            # computed when first needed (chains.fill), against the head kept here.
            return Run(self, origin, epoch, last, None, signature=entry["sig"] if last == r["last"] else None)
        device = self.devices.get(origin)
        if device is None:
            raise _refuse(self.sender_name, UNSIGNED)
        start = bytes.fromhex(entry["from"])
        if r["first"] == 1 and start != chain.genesis(origin, epoch):
            raise _refuse(self.sender_name, FORGED)
        return Run(self, origin, epoch, last, start, bytes.fromhex(entry["head"]), entry["sig"],
                   public_key_from(device["public_key"]))

    def released(self, changes: list[dict]) -> None:
        """A parked range taken now: its link to the chain we hold is checked in finish."""
        if changes and "chain_before" in changes[0]:
            first = changes[0]
            self.links.append((first["origin"], first["epoch"], first["seq"], bytes.fromhex(first["chain_before"]),
                               changes[-1]["seq"]))

    def taking(self, change: dict) -> bool:
        """False for a change whose values were blanked by a purge: it waits for `blanked`."""
        if change["op"] == "purge":
            self.purged.add((change["entity"], change["entity_id"]))
        if "sealed" in change:
            self.deferred.append(change)
            return False
        return True

    def blanked(self) -> list[dict]:
        """The blanked changes, once the whole bundle is read: only of records a purge erased
        (held, or in this bundle). A relay could otherwise blank any change it passes on and
        give the hash of its values, and the chain would still hold."""
        for change in self.deferred:
            key = (change["entity"], change["entity_id"])
            if key not in self.purged and self.conn.execute(sa.select(ChangeLog.seq).where(
                    ChangeLog.entity == key[0], ChangeLog.entity_id == key[1], ChangeLog.op == "purge")
                    .limit(1)).first() is None:
                raise _refuse(self.sender_name, BLANKED)
        return self.deferred

    def finish(self) -> None:
        """After every change is in the change log: relayed changes that do not continue the
        chain we hold lose their values (chains.fill then finds where they part)."""
        chains.mark_legacy(self.conn, self.new_legacy)
        table = ChangeLog.__table__
        for origin, epoch, first, before, last in sorted(self.links, key=lambda link: link[:3]):
            if first > 1 and chains.tip(self.conn, origin, epoch, first - 1) is None and origin in self.devices:
                chains.fill(self.conn, origin, epoch, first - 1, public_key_from(self.devices[origin]["public_key"]))
            if chains.tip(self.conn, origin, epoch, first - 1) == before:
                continue
            changes_codec.hash_derived(self.conn, origin, epoch, first, last)  # (their chain proved them)
            self.conn.execute(table.update().where(
                table.c.origin_device == origin, table.c.epoch == epoch, table.c.seq.between(first, last),
                table.c.chain.is_not(None), table.c.chain != chains.OFF).values(chain=None))

    def requires(self, declared: dict[str, int]) -> dict[str, int]:
        """The sender's knowledge we must hold before taking its changes, less revoked origins
        (what is kept of them is the roster's to say)."""
        return {k: v for k, v in declared.items() if not self.revoked(k.rsplit(":", 1)[0])}
