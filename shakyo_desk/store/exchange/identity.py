"""This installation's sync identity, the council keys and the roster versions it holds."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Connection

from shakyo_desk.domain.errors import PermissionDenied, StoreError
from shakyo_desk.store import audit_witness
from shakyo_desk.store.models import ChangeLog, DeviceState, Roster, SyncKnowledge
from shakyo_desk.sync import roster as rosters
from shakyo_desk.sync.bundle import DeviceKeys, generate_recovery_identity
from shakyo_desk.domain import clock

OFFICE_ONLY = "この操作は事務局の端末（この社協で最初にデータを作った端末）でだけできます。"
DEFAULT_OFFICE_NAME = "事務局"


@dataclass(frozen=True)
class Identity:
    device_id: str
    epoch: int
    council_id: str
    name: str
    keys: DeviceKeys
    scope: tuple[str, ...]
    bundle_seq: int
    last_bundle_hash: str | None
    next_seq: int
    # The council admin key where it still lies in device_state (a store not yet migrated at an
    # admin's unlock, council_key.py); None once it lives in keys.json, sealed to the admins.
    admin_key: Ed25519PrivateKey | None
    office: bool = False  # the roster's office installation (its first device)

    @property
    def is_office(self) -> bool:
        return self.office


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def load(conn: Connection) -> Identity:
    row = conn.execute(sa.select(DeviceState.__table__).where(DeviceState.id == 1)).mappings().one()
    if row["signing_key"] is None:
        raise StoreError("この端末には同期用の鍵がありません。管理者に相談してください。")
    admin = Ed25519PrivateKey.from_private_bytes(row["admin_key"]) if row["admin_key"] else None
    return Identity(
        device_id=row["device_id"], epoch=row["epoch"], council_id=row["council_id"],
        name=row["device_name"] or DEFAULT_OFFICE_NAME,
        keys=DeviceKeys.from_secrets(row["signing_key"], row["age_identity"]), scope=tuple(row["scope"] or ()),
        bundle_seq=row["bundle_seq"], last_bundle_hash=row["last_bundle_hash"], next_seq=row["next_seq"],
        admin_key=admin, office=is_office(conn, row["device_id"]),
    )


def is_office(conn: Connection, device_id: str | None = None) -> bool:
    """This installation is the council's office: the roster's first device, or a store from
    before sync (no device keys: a single installation)."""
    row = conn.execute(sa.select(DeviceState.device_id, DeviceState.signing_key).where(DeviceState.id == 1)).one()
    if row.signing_key is None:
        return True
    signed = conn.execute(sa.select(Roster.body).order_by(Roster.version.desc()).limit(1)).scalar()
    return signed is not None and rosters.office_device_id(rosters.SignedRoster(signed, "").data) == row.device_id


def set_state(conn: Connection, **values) -> None:
    conn.execute(DeviceState.__table__.update().where(DeviceState.id == 1), values)


# ---- roster ------------------------------------------------------------------------


def current_roster(conn: Connection) -> rosters.SignedRoster:
    row = conn.execute(sa.select(Roster.body, Roster.signature).order_by(Roster.version.desc()).limit(1)).one_or_none()
    if row is None:
        raise StoreError("この端末には同期の名簿がありません。管理者に相談してください。")
    return rosters.SignedRoster(row.body, row.signature)


def roster_data(conn: Connection) -> dict:
    return current_roster(conn).data


def save_roster(conn: Connection, signed: rosters.SignedRoster) -> None:
    conn.execute(Roster.__table__.insert(), dict(version=signed.version, body=signed.body,
                                                 signature=signed.signature, received_at=clock.utcnow()))


def adopt_roster(conn: Connection, signed: rosters.SignedRoster, council_id: str) -> bool:
    """Keep a newer roster if the council admin key we already trust signed it."""
    ours = roster_data(conn)
    data = rosters.verify(signed, ours["admin_key"], council_id)
    if data["version"] <= ours["version"]:
        return False
    save_roster(conn, signed)
    return True


NO_ADMIN_KEY = ("端末の名簿に署名できるのは、事務局の端末でロックを解除した管理者だけです"
                "（名簿の署名鍵は管理者のパスフレーズでしか開けません）。管理者に依頼してください。")


def publish_roster(conn: Connection, identity: Identity, data: dict,
                   admin_key: Ed25519PrivateKey | None) -> rosters.SignedRoster:
    """A new roster version, signed with the council admin key: the office only, by an admin
    session (the key is unwrapped from the acting admin's entry in keys.json, council_key.py)."""
    if not identity.is_office:
        raise PermissionDenied(OFFICE_ONLY)
    if admin_key is None:
        raise PermissionDenied(NO_ADMIN_KEY)
    data = {**data, "version": data["version"] + 1, "issued_at": clock.utcnow().isoformat(timespec="seconds")}
    signed = rosters.sign(data, admin_key)
    save_roster(conn, signed)
    return signed


def found_council(conn: Connection, council_id: str, device_id: str, admin: Ed25519PrivateKey | None = None,
                  staff: list[dict] | None = None) -> str:
    """At `init`: the office device's keys, the council admin key, the recovery identity and
    roster version 1. Returns the recovery identity, to be printed once and never stored.
    `admin`: the council admin key the caller seals into keys.json for the first admin, with
    `staff` (their roster entry and signing key); without it (a store from before sync) a new
    key is kept in device_state until an admin's unlock moves it (council_key.py)."""
    keys, recovery = DeviceKeys.generate(), generate_recovery_identity()
    legacy = admin is None
    admin = admin or Ed25519PrivateKey.generate()
    set_state(conn, device_name=DEFAULT_OFFICE_NAME, signing_key=keys.signing_private_bytes(),
              age_identity=keys.identity_str, admin_key=_raw(admin) if legacy else None, scope=[])
    data = rosters.new_roster(council_id, admin, str(recovery.to_public()))
    if not legacy:
        data["staff"] = list(staff or [])
        data[rosters.UNSIGNED_BEFORE] = {}  # every account and settings change is signed from the start
    data["devices"].append(rosters.device_entry(device_id, DEFAULT_OFFICE_NAME, keys.public_key_b64, keys.recipient,
                                                [], clock.utcnow().isoformat(timespec="seconds")))
    signed = rosters.sign({**data, "version": 1, "issued_at": clock.utcnow().isoformat(timespec="seconds")}, admin)
    save_roster(conn, signed)
    return str(recovery)


def ensure_identity(conn: Connection) -> None:
    """A store made before sync existed (schema 0002) gets its keys at its first unlock; its
    recovery identity waits, inside the encrypted store, until an admin has printed it."""
    row = conn.execute(sa.select(DeviceState.signing_key, DeviceState.device_id, DeviceState.council_id)
                       .where(DeviceState.id == 1)).one()
    if row.signing_key is None:
        set_state(conn, recovery_identity_unprinted=found_council(conn, row.council_id, row.device_id))


def unprinted_recovery_identity(conn: Connection) -> str | None:
    return conn.execute(sa.select(DeviceState.recovery_identity_unprinted).where(DeviceState.id == 1)).scalar()


def mark_recovery_identity_printed(conn: Connection) -> None:
    set_state(conn, recovery_identity_unprinted=None)


# ---- epochs ------------------------------------------------------------------------


# New epochs are drawn at random (as a join's, devices.JOIN_EPOCH_RANGE): two copies of one
# installation that both start a new epoch (both restored, both detecting their clone) must not
# land on the same one again, as "epoch + 1" made them do.
EPOCH_RANGE = (2, 2**30)


def start_new_epoch(conn: Connection) -> int:
    """After a restore or a detected clone: our old (device, epoch) may be reused by another
    copy, so everything we write from now on is named by a fresh, random epoch (never one this
    device id has used: neither in our change log nor in our knowledge)."""
    row = conn.execute(sa.select(DeviceState.device_id, DeviceState.epoch, DeviceState.next_seq)
                       .where(DeviceState.id == 1)).one()
    _set_known(conn, row.device_id, row.epoch, row.next_seq - 1)
    # Where our audit log stood when the epoch ended: heads of that epoch others saw beyond it
    # are history another copy went on with (a restored backup's original), not a cut.
    audit_witness.note_epoch_end(conn, row.device_id, row.epoch)
    used = set(conn.execute(sa.select(SyncKnowledge.epoch).where(SyncKnowledge.origin == row.device_id)).scalars())
    used |= set(conn.execute(sa.select(ChangeLog.epoch).where(ChangeLog.origin_device == row.device_id)
                             .distinct()).scalars())
    low, high = EPOCH_RANGE
    epoch = row.epoch
    while epoch in used or epoch == row.epoch:
        epoch = low + secrets.randbelow(high - low)
    own = conn.execute(sa.select(DeviceState.own_epochs).where(DeviceState.id == 1)).scalar() or []
    set_state(conn, epoch=epoch, next_seq=1, bundle_seq=0, last_bundle_hash=None,
              own_epochs=sorted({*own, row.epoch, epoch}))
    return epoch


def _set_known(conn: Connection, origin: str, epoch: int, seq: int) -> None:
    table = SyncKnowledge.__table__
    updated = conn.execute(table.update().where(table.c.origin == origin, table.c.epoch == epoch), {"seq": seq})
    if updated.rowcount == 0:
        conn.execute(table.insert(), {"origin": origin, "epoch": epoch, "seq": seq})


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
