"""The audit log's head witnessed outside the store, and the check against every witness
(store/audit.py has the chain itself; docs/architecture.md "Audit log").

A head is (device, epoch, last id, hash). It is recorded:

- by this installation, each time it writes it where the store cannot take it back: into a
  bundle's manifest (``export``), into a backup (``backup``), and when its epoch ends (a
  restore, a clone: ``epoch_end``, the last id of this log in that epoch);
- by every receiver of a bundle, from its manifest's ``audit_head`` (``bundle``), and sent back
  in the receiver's own bundles as ``witnesses`` to the devices that can read them, where the
  origin records it (``returned``): cutting a laptop's log does not cut what the office saw.

``verify`` compares the chain with all of them, plus any backup file named on the spot.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.engine import Connection

from shakyo_desk.domain import clock
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.store import audit
from shakyo_desk.store.models import AuditKey, AuditLog, AuditState, AuditWitness, DeviceState, Roster

EXPORT, BACKUP, EPOCH_END, BUNDLE, RETURNED, FILE = "export", "backup", "epoch_end", "bundle", "returned", "file"
OWN = (EXPORT, BACKUP, EPOCH_END)
MAX_WITNESSES = 1_000  # per manifest (as sync/bundle.py): one per device and epoch of a council
_SEAL_INFO = b"shakyo-desk audit key seal v1"

Progress = Callable[[int, int], None]


# ---- the head ---------------------------------------------------------------------------------

def current_head(conn: Connection) -> audit.Head | None:
    row = conn.execute(sa.select(AuditLog.id, AuditLog.hash, AuditLog.at).order_by(AuditLog.id.desc())
                       .limit(1)).first()
    return audit.Head(row.id, row.hash, row.at) if row is not None else None


def at_text(value) -> str:
    """An entry's time as heads carry it: ISO 8601 UTC to the second, with Z."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    return value.replace(microsecond=0).isoformat() + "Z"


def head_doc(conn: Connection, device_id: str, epoch: int) -> dict | None:
    """Our head as a manifest and a backup carry it: {device_id, epoch, id, hash, at}."""
    head = current_head(conn)
    if head is None:
        return None
    return {"device_id": device_id, "epoch": epoch, "id": head.entry_id, "hash": head.hash, "at": at_text(head.at)}


def note(conn: Connection, *, device_id: str, epoch: int, entry_id: int, hash: str, source: str, witness: str,
         entry_at: str = "", bundle_hash: str | None = None) -> None:
    """Record a witness (the same head from the same witness once)."""
    table = AuditWitness.__table__
    c = table.c
    if conn.execute(sa.select(c.id).where(c.device_id == device_id, c.epoch == epoch, c.entry_id == entry_id,
                                          c.hash == hash, c.source == source, c.witness == witness)
                    .limit(1)).first() is not None:
        return
    conn.execute(table.insert(), dict(device_id=device_id, epoch=epoch, entry_id=entry_id, hash=hash,
                                      entry_at=entry_at[:40], source=source, witness=witness,
                                      bundle_hash=bundle_hash, noted_at=clock.utcnow()))


def note_own(conn: Connection, doc: dict | None, source: str, bundle_hash: str | None = None) -> None:
    if doc is not None:
        note(conn, device_id=doc["device_id"], epoch=doc["epoch"], entry_id=doc["id"], hash=doc["hash"],
             entry_at=doc.get("at", ""), source=source, witness=doc["device_id"], bundle_hash=bundle_hash)


def note_epoch_end(conn: Connection, device_id: str, epoch: int) -> None:
    """Our epoch ends here (identity.start_new_epoch): the log's last id in it."""
    note_own(conn, head_doc(conn, device_id, epoch), EPOCH_END)


# ---- through bundles --------------------------------------------------------------------------

def manifest_part(conn: Connection, device_id: str, epoch: int, readers: Iterable[str]) -> dict:
    """The manifest keys: our head (``audit_head``) and, for each device that can read the
    bundle, the last head of each of its epochs we received (``witnesses``)."""
    part: dict = {}
    head = head_doc(conn, device_id, epoch)
    if head is not None:
        part["audit_head"] = head
    readers = sorted(set(readers) - {device_id})
    if readers:
        stmt = sa.text(
            "SELECT device_id, epoch, entry_id, hash FROM ("
            " SELECT id, device_id, epoch, entry_id, hash, row_number() OVER ("
            "  PARTITION BY device_id, epoch ORDER BY entry_id DESC, id DESC) AS n"
            " FROM audit_witness WHERE source = :source AND device_id IN :readers"
            ") WHERE n = 1 ORDER BY id DESC LIMIT :n").bindparams(sa.bindparam("readers", expanding=True))
        rows = conn.execute(stmt, {"source": BUNDLE, "readers": readers, "n": MAX_WITNESSES}).all()
        if rows:
            part["witnesses"] = [{"device_id": r.device_id, "epoch": r.epoch, "id": r.entry_id, "hash": r.hash}
                                 for r in sorted(rows, key=lambda r: (r.device_id, r.epoch))]
    return part


def note_exported(conn: Connection, manifest: Mapping, bundle_hash: str) -> None:
    note_own(conn, manifest.get("audit_head"), EXPORT, bundle_hash)


def take_from_manifest(conn: Connection, manifest: Mapping, me: str, sender: str, bundle_hash: str) -> None:
    """On import (shapes checked by sync/bundle.py): the sender's head, and what the sender
    witnessed of our own log."""
    head = manifest.get("audit_head")
    if isinstance(head, dict) and head.get("device_id") == sender:
        note(conn, device_id=sender, epoch=head["epoch"], entry_id=head["id"], hash=head["hash"],
             entry_at=head.get("at", ""), source=BUNDLE, witness=me, bundle_hash=bundle_hash)
        # Only the newest head of each (device, epoch) is ever sent back: older ones go.
        t = AuditWitness.__table__.c
        conn.execute(AuditWitness.__table__.delete().where(
            t.device_id == sender, t.epoch == head["epoch"], t.source == BUNDLE, t.entry_id < head["id"]))
    for w in manifest.get("witnesses") or ():
        if w.get("device_id") == me:
            note(conn, device_id=me, epoch=w["epoch"], entry_id=w["id"], hash=w["hash"], source=RETURNED,
                 witness=sender, bundle_hash=bundle_hash)


# ---- keys -------------------------------------------------------------------------------------

def _sealer(data_key: bytes) -> AESGCM:
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO).derive(data_key))


def key_ring(conn: Connection, data_key: bytes) -> dict[str, bytes]:
    """key id → audit key: the current data key's, and those of earlier data keys that
    ``carry_keys`` sealed under it (a key missing here leaves its entries unverifiable)."""
    current = audit.derive_key(data_key)
    ring = {current.key_id: current.key}
    sealer = _sealer(data_key)
    for key_id, sealed in conn.execute(sa.select(AuditKey.key_id, AuditKey.sealed)
                                       .where(AuditKey.sealer == current.key_id)):
        try:
            ring.setdefault(key_id, sealer.decrypt(sealed[:12], sealed[12:], key_id.encode("ascii")))
        except (InvalidTag, ValueError):
            continue
    return ring


def carry_keys(conn: Connection, old_data_key: bytes, new_data_key: bytes) -> None:
    """Before a data key rotation (store/rekey.py), in a transaction with the old key: the
    audit keys the old data key can reach (its own and earlier ones) sealed under the new, so
    the entries they keyed stay verifiable once the new key is in use. Rows sealed under the
    old key stay (a rotation that fails keeps using them)."""
    ring = key_ring(conn, old_data_key)
    new = audit.derive_key(new_data_key).key_id
    sealer = _sealer(new_data_key)
    table = AuditKey.__table__
    at = clock.utcnow()
    for key_id, key in sorted(ring.items()):
        if key_id == new:
            continue
        nonce = os.urandom(12)
        conn.execute(table.delete().where(table.c.key_id == key_id, table.c.sealer == new))
        conn.execute(table.insert(), dict(key_id=key_id, sealer=new, retired_at=at,
                                          sealed=nonce + sealer.encrypt(nonce, key, key_id.encode("ascii"))))


# ---- checking ---------------------------------------------------------------------------------

def _device_names(conn: Connection) -> dict[str, str]:
    body = conn.execute(sa.select(Roster.body).order_by(Roster.version.desc()).limit(1)).scalar()
    if body is None:
        return {}
    return {d["device_id"]: d["name"] for d in json.loads(body).get("devices", [])}


def _local_day(value: datetime) -> str:
    return format_wareki(value.replace(tzinfo=UTC).astimezone().date())


def label(source: str, noted_at: datetime | None, witness_name: str = "") -> str:
    """A phrase naming a witness in a sentence: 「…と合いません」."""
    when = _local_day(noted_at) if noted_at is not None else ""
    if source == EXPORT:
        return f"{when}に書き出した同期ファイルの控え"
    if source == BACKUP:
        return f"{when}に作ったバックアップの控え"
    if source == EPOCH_END:
        return f"{when}に同期の区切りを改めたときの控え"
    if source == RETURNED:
        return f"端末「{witness_name}」が受け取った控え（{when}に届いたもの）"
    return f"バックアップファイル「{witness_name}」の控え"


def own_witnesses(conn: Connection, device_id: str) -> list[audit.Witness]:
    names = _device_names(conn)
    t = AuditWitness.__table__.c
    rows = conn.execute(sa.select(t.epoch, t.entry_id, t.hash, t.source, t.witness, t.noted_at)
                        .where(t.device_id == device_id, t.source.in_((*OWN, RETURNED))).order_by(t.id))
    return [audit.Witness(r.epoch, r.entry_id, r.hash, r.source,
                          label(r.source, r.noted_at, names.get(r.witness, r.witness[:8])))
            for r in rows]


def epoch_ends(conn: Connection, device_id: str) -> dict[int, int]:
    t = AuditWitness.__table__.c
    return dict(conn.execute(sa.select(t.epoch, sa.func.max(t.entry_id)).where(
        t.device_id == device_id, t.source == EPOCH_END).group_by(t.epoch)).all())


def cloned_epochs(conn: Connection, device_id: str) -> set[int]:
    """Our epochs in which a copy of this installation was found (the audit entries that
    exchange/clones.py writes, ``clones.DETECTED``)."""
    rows = conn.execute(sa.select(AuditLog.detail).where(AuditLog.action == "sync.clone_detected"))
    return {d["epoch"] for (d,) in rows
            if isinstance(d, dict) and d.get("origin") == device_id and type(d.get("epoch")) is int}


def keyed_from(conn: Connection) -> int | None:
    return conn.execute(sa.select(AuditState.keyed_from).where(AuditState.id == 1)).scalar()


def verify(conn: Connection, data_key: bytes, progress: Progress | None = None, *, batch: int = 5000,
           extra: Iterable[audit.Witness] = ()) -> audit.ChainReport:
    """Every entry's hash and link, oldest first, then every witness of our log (and ``extra``:
    heads read from backup files); ``progress(done, total)`` per batch."""
    me = conn.execute(sa.select(DeviceState.device_id, DeviceState.epoch).where(DeviceState.id == 1)).one()
    total = conn.execute(sa.select(sa.func.max(AuditLog.id))).scalar() or 0
    if progress:
        progress(0, total)
    def rows() -> Iterator:
        # Raw rows (audit.entries decodes them), read in id order a batch at a time.
        last, done = 0, 0
        while True:
            chunk = conn.exec_driver_sql(f"{audit.SELECT} WHERE id > ? ORDER BY id LIMIT ?", (last, batch)).fetchall()
            if not chunk:
                return
            yield from audit.entries(conn, chunk)  # (a change's entry rebuilt from its change)
            last = chunk[-1].id
            done += len(chunk)
            if progress:
                progress(min(done, total), total)

    return audit.verify_chain(rows(), key_ring(conn, data_key), keyed_from(conn),
                              [*own_witnesses(conn, me.device_id), *extra], me.epoch,
                              epoch_ends(conn, me.device_id), cloned_epochs(conn, me.device_id))
