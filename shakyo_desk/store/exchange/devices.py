"""Installations of the council: the 同期 overview, enrolment (`device add` / `device join`)
and revocation. Only an admin's session at the office holds the council admin key that signs
the roster (unwrapped from the admin's keys.json entry, store/council_key.py)."""

from __future__ import annotations

import base64
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Self

import sqlalchemy as sa
import sqlcipher3

from shakyo_desk.domain.errors import InvalidInput, StoreError
from shakyo_desk.domain.file_errors import write_failure, write_reason
from shakyo_desk.domain.ids import new_id
from shakyo_desk.domain.roles import Role, manages_accounts
from shakyo_desk.domain.safe_file import write_atomic
from shakyo_desk.domain.text import clean
from shakyo_desk.domain import safe_file
from shakyo_desk.store.exchange import chains
from shakyo_desk.store.exchange import snapshot
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.store.exchange import knowledge
from shakyo_desk.store.exchange.apply import apply_changes
from shakyo_desk.store.exchange.exporting import fill_payload, find_device
from shakyo_desk.store.exchange.scope import scope_predicate
from shakyo_desk.store.models import District, Staff, SyncBundle, SyncPeer, SyncPending
from shakyo_desk.store.services._common import require
from shakyo_desk.store.store import RecoveryKey, Store, _load_actor, build_store, validate_login
from shakyo_desk.store.writer import Actor
from shakyo_desk.sync import enrolment
from shakyo_desk.sync import roster as rosters
from shakyo_desk.sync.bundle import DeviceKeys, public_key_from
from shakyo_desk.domain import clock


@dataclass(frozen=True)
class DeviceInfo:
    device_id: str
    name: str
    is_self: bool
    scope: tuple[str, ...]  # district names; empty = whole council
    revoked_at: str | None
    last_in_seq: int | None
    last_in_at: datetime | None
    last_out_seq: int | None
    last_out_at: datetime | None
    waiting: int  # our changes this device has not confirmed holding


@dataclass(frozen=True)
class SyncOverview:
    device_name: str
    epoch: int
    is_office: bool
    devices: tuple[DeviceInfo, ...]
    pending_ranges: int  # changes parked behind a missing bundle
    last_bundle_seq: int


def overview(store: Store) -> SyncOverview:
    with store.read() as s:
        conn = s.connection()
        me = ident.load(conn)
        roster = ident.roster_data(conn)
        districts = dict(s.execute(sa.select(District.id, District.name)).all())
        peers = {r.device_id: r for r in s.execute(sa.select(SyncPeer.__table__)).all()}
        ours = knowledge.own(conn)
        devices = []
        for entry in roster["devices"]:
            peer = peers.get(entry["device_id"])
            theirs = knowledge.of_peer(conn, roster, entry["device_id"])
            waiting = 0 if entry["device_id"] == me.device_id else sum(
                max(0, seq - theirs.get(key, 0)) for key, seq in ours.items())
            devices.append(DeviceInfo(
                entry["device_id"], entry["name"], entry["device_id"] == me.device_id,
                tuple(districts.get(d, "（不明な地区）") for d in entry["scope"]), entry["revoked_at"],
                peer.last_in_seq if peer else None, peer.last_in_at if peer else None,
                peer.last_out_seq if peer else None, peer.last_out_at if peer else None, waiting))
        pending = s.execute(sa.select(sa.func.count()).select_from(SyncPending)).scalar_one()
        return SyncOverview(me.name, me.epoch, me.is_office, tuple(devices), pending, me.bundle_seq)


# ---- enrolment ----------------------------------------------------------------------


def _district_ids(s, names: list[str]) -> list[str]:
    ids = []
    for name in names:
        found = s.execute(sa.select(District.id).where(District.name == clean(name), District.deleted_at.is_(None))
                          ).scalar()
        if found is None:
            raise InvalidInput(f"地区「{name}」は登録されていません。地区の名前を確かめてください。")
        ids.append(found)
    return ids


ENROLMENT_SUFFIX = ".shakyo"


def enrolment_file_name(name: str) -> str:
    """「登録ファイル-<device name>.shakyo」, with what a file name cannot hold replaced."""
    part = re.sub(r'[\\/:*?"<>|\s]+', "_", clean(name)).strip("_.") or "端末"
    return f"登録ファイル-{part}{ENROLMENT_SUFFIX}"


def enrolment_target(out: Path, name: str, *, add_suffix: bool = False) -> Path:
    """Where the enrolment file for device ``name`` goes. A folder (a USB stick's drive, typed
    as the 保存先) gets 「登録ファイル-<name>.shakyo」 inside it, never over a file already
    there (an unused enrolment file is a key: a number is added instead). With ``add_suffix``
    (the screen) a file name without ``.shakyo`` gets it, so the join wizard's picker finds it."""
    out = Path(out)
    if os.path.isdir(out):  # (os.path: a name too long for the disk is "not a folder", not an error)
        first = out / enrolment_file_name(name)
        candidate, n = first, 2
        while os.path.lexists(candidate):
            candidate = first.with_name(f"{first.stem}-{n}{ENROLMENT_SUFFIX}")
            n += 1
        return candidate
    if add_suffix and not out.name.lower().endswith(ENROLMENT_SUFFIX):
        return out.with_name(out.name + ENROLMENT_SUFFIX)
    return out


def add_device(store: Store, name: str, out: Path, districts: list[str] | None = None,
               kdf: dict | None = None, *, replay: bool = False) -> str:
    """Make the one-time enrolment file for a new installation; returns the code to show.
    ``out`` may be a folder: the file is then written inside it (``enrolment_target``).
    The file carries a snapshot of the database, filtered to the device's scope and keyed for
    it (snapshot.py, enrolment format 2); ``replay`` writes the changes to replay instead
    (format 1: what earlier versions wrote; benchmarks use it for a store without records)."""
    require(manages_accounts(store.actor.role))
    name = clean(name)
    if not name or len(name) > 40:
        raise InvalidInput("端末名を40文字以内で入力してください（例：田中さんのノートPC）。")
    out = enrolment_target(Path(out), name)
    if os.path.exists(out.parent) and not os.path.isdir(out.parent):
        raise InvalidInput(f"保存先の「{out.parent}」はフォルダではなくファイルです。保存先のフォルダを選び直してください。")
    if not os.path.isdir(out.parent):
        raise InvalidInput(f"保存先のフォルダ「{out.parent}」が見つかりません。USBメモリが差さっているか確かめて、"
                           "保存先を選び直してください。")
    code = enrolment.new_code()
    if replay:
        _add_by_replay(store, name, out, districts, kdf, code)
        return code
    with store.read() as s:  # refused before the long copy
        _check_name(ident.roster_data(s.connection()), name)
        scope = _district_ids(s, districts or [])
    staging = store.layout.staging
    try:
        safe_file.make_private_dir(staging)
    except OSError as error:
        raise StoreError(write_failure("登録ファイル", store.layout.root, error)) from error
    _remove_stale_snapshots(staging)
    path = staging / f"enrol-{new_id()}{SNAPSHOT_SUFFIX}"
    try:
        try:
            made = snapshot.build(store.engine, path, scope)
        except (OSError, sqlcipher3.Error, sa.exc.OperationalError) as error:
            raise StoreError(SNAPSHOT_FAILED) from error
        with store.write() as w:
            conn = w.conn
            me = ident.load(conn)
            roster = ident.roster_data(conn)
            _check_name(roster, name)
            keys, device_id = DeviceKeys.generate(), new_id()
            # What the device will hold is what the snapshot holds (read in its own transaction).
            entry = rosters.device_entry(device_id, name, keys.public_key_b64, keys.recipient, scope,
                                         clock.utcnow().isoformat(timespec="seconds"), made.knowledge)
            signed = ident.publish_roster(conn, me, {**roster, "devices": roster["devices"] + [entry],
                                                     "staff": _staff_entries(store, conn)}, store.council_key)
            enrolment_id = new_id()
            meta = {
                "council_id": me.council_id,
                "enrolment_id": enrolment_id,
                "device": {"device_id": device_id, "name": name, "scope": scope,
                           "signing_key": base64.b64encode(keys.signing_private_bytes()).decode("ascii"),
                           "age_identity": keys.identity_str},
                "roster": signed.to_json(),
                "knowledge": made.knowledge,
                **made.chains,
                "accounts": made.accounts,
                "hlc": made.hlc,
                "snapshot": {"format": 1, "size": made.size,
                             "data_key": base64.b64encode(made.data_key).decode("ascii")},
            }
            try:
                with open(path, "rb") as source, safe_file.stage(out) as staged:
                    for piece in enrolment.seal_snapshot(meta, source, code, kdf):
                        staged.write(piece)
                    staged.commit()
            except OSError as error:
                raise StoreError(write_failure("登録ファイル", out.parent, error)) from error
            w.audit("device.add", detail={"device": device_id, "name": name, "scope": scope, "enrolment": enrolment_id,
                                          "snapshot": True})
    finally:
        path.unlink(missing_ok=True)
    return code


SNAPSHOT_SUFFIX = ".snapshot"
SNAPSHOT_FAILED = ("登録ファイルに入れるデータの写しを作れませんでした。事務局のパソコンのディスクに、データと同じくらいの"
                   "空き容量が一時的に必要です。空きを確かめてから、もう一度お試しください。端末はまだ追加されていません。")


def _remove_stale_snapshots(staging: Path) -> None:
    """Snapshots an add_device killed midway left in staging/ (encrypted under a key that was
    only in that process): removed once they are an hour old (another may be in progress)."""
    limit = clock.now().timestamp() - 3600
    for leftover in staging.glob(f"enrol-*{SNAPSHOT_SUFFIX}"):
        try:
            if leftover.stat().st_mtime < limit:
                leftover.unlink()
        except OSError:
            pass


def _check_name(roster: dict, name: str) -> None:
    if any(d["name"] == name for d in roster["devices"]):
        raise InvalidInput(f"端末名「{name}」はすでに使われています。別の名前にしてください。")


def _staff_entries(store: Store, conn) -> list[dict]:
    accounts = conn.execute(sa.select(Staff.id, Staff.login, Staff.role, Staff.disabled_at)).all()
    return [rosters.staff_entry(r.id, r.login, r.role, r.disabled_at is not None,
                                store.keyfile.signing_public(r.login)) for r in accounts]


def _add_by_replay(store: Store, name: str, out: Path, districts: list[str] | None, kdf: dict | None,
                   code: str) -> None:
    """Format 1: every change in the device's scope, replayed by `join`."""
    with store.write() as w:
        conn = w.conn
        me = ident.load(conn)
        roster = ident.roster_data(conn)
        _check_name(roster, name)
        scope = _district_ids(w.session, districts or [])
        keys, device_id = DeviceKeys.generate(), new_id()
        ours = knowledge.own(conn)
        entry = rosters.device_entry(device_id, name, keys.public_key_b64, keys.recipient, scope,
                                     clock.utcnow().isoformat(timespec="seconds"), ours)
        accounts = conn.execute(sa.select(Staff.id, Staff.login, Staff.display_name, Staff.role, Staff.disabled_at)).all()
        signed = ident.publish_roster(conn, me, {**roster, "devices": roster["devices"] + [entry],
                                                 "staff": _staff_entries(store, conn)}, store.council_key)
        enrolment_id = new_id()
        payload = enrolment.payload_for({
            "council_id": me.council_id,
            "enrolment_id": enrolment_id,
            "device": {"device_id": device_id, "name": name, "scope": scope,
                       "signing_key": base64.b64encode(keys.signing_private_bytes()).decode("ascii"),
                       "age_identity": keys.identity_str},
            "roster": signed.to_json(),
            "knowledge": ours,
            **({} if scope else chains.enrolment_meta(conn, me, ours)),
            "accounts": [{"id": r.id, "login": r.login, "display_name": r.display_name, "role": r.role}
                         for r in accounts],
        })
        # Every change held, streamed from the change log (what `knowledge.own` says we hold).
        fill_payload(conn, payload, [{"origin": o, "epoch": e, "first": 1, "last": last}
                                     for (o, e), last in ((knowledge.split(k), v) for k, v in sorted(ours.items()))],
                     scope_predicate(conn, scope) if scope else None)
        try:
            write_atomic(out, enrolment.seal({}, payload, code, kdf))
        except OSError as error:
            raise StoreError(write_failure("登録ファイル", out.parent, error)) from error
        w.audit("device.add", detail={"device": device_id, "name": name, "scope": scope, "enrolment": enrolment_id})


# A joined installation starts at a random epoch, never 1: two installations joined from
# copies of one enrolment file share a device id and keys, and at a common epoch they would
# name different changes by the same (device, epoch, seq) — the office refused the second
# copy's bundles as a forked chain and each copy's records never reached the other. Epochs
# stay below 2**31 (a restore or a detected clone adds 1).
JOIN_EPOCH_RANGE = (2, 2**30)


def join_epoch() -> int:
    low, high = JOIN_EPOCH_RANGE
    return low + secrets.randbelow(high - low)


class Joined(tuple):
    """(store, recovery key), as unpacked by callers, plus what became of the enrolment file:
    `file_used` when it now holds the used marker (or is gone); otherwise `warning` is the
    sentence telling the person to delete it now (the join itself succeeded)."""

    store: Store
    recovery_key: RecoveryKey
    file_used: bool
    warning: str | None

    def __new__(cls, store: Store, recovery_key: RecoveryKey, file_used: bool, warning: str | None) -> Self:
        value = super().__new__(cls, (store, recovery_key))
        value.store, value.recovery_key, value.file_used, value.warning = store, recovery_key, file_used, warning
        return value


def left_behind(path: Path, reason: str | None) -> str:
    why = f"（{reason}）" if reason else ""
    return (f"この端末の登録は済みましたが、登録ファイル「{path}」を使用済みにできませんでした{why}。"
            "このファイルには端末の鍵が入っています。もう一度使われないように、今すぐ削除してください"
            "（書き込み禁止のUSBメモリなら、書き込み禁止を外してから削除してください）。")


def consume_enrolment_file(path: Path, enrolment_id: str, device_name: str) -> str | None:
    """Overwrite the enrolment file with the used marker (atomically: the old file stays
    whole until the rename). None when done; otherwise the sentence to show."""
    path = Path(path)
    try:
        write_atomic(path, enrolment.used_marker(enrolment_id, device_name, clock.today()))
        return None
    except OSError as error:
        reason = write_reason(error)
    try:
        path.unlink()  # no room for the marker, say: at least no key stays behind
        return None
    except FileNotFoundError:
        return None
    except OSError:
        return left_behind(path, reason)


def join(root: Path, enrolment_file: Path, code: str, login: str, passphrase: str,
         kdf: dict | None = None) -> Joined:
    """Create this installation's store from an enrolment file, then use the file up: a
    snapshot of the office's database (format 2) is installed as it is, the changes of a
    format 1 file are replayed."""
    login = validate_login(login)
    enrolment_file = Path(enrolment_file)
    try:
        opened = enrolment.open_file(enrolment_file, code)
    except OSError as error:
        raise InvalidInput(f"登録ファイル「{enrolment_file}」を読めませんでした。ファイルの場所を確かめてください。") from error
    meta = opened.meta
    device = meta["device"]
    council_id = meta["council_id"]
    # Files made before enrolment ids existed are named by their digest.
    enrolment_id = str(meta.get("enrolment_id") or (opened.digest or "")[:32])
    signed = rosters.SignedRoster.from_json(meta["roster"])
    roster = signed.data
    rosters.verify(signed, roster["admin_key"], council_id)  # the roster signs itself consistently
    account = next((a for a in meta["accounts"] if a["login"] == login), None)
    if account is None:
        raise InvalidInput(f"アカウント「{login}」は社協の職員名簿にありません。事務局で登録されたログイン名を入力してください。")
    actor = Actor(account["id"], login, account["display_name"] or login, Role(account["role"]))
    now: list[Actor] = []
    epoch = join_epoch()
    carried = meta.get("snapshot") if opened.pieces is not None else None

    def fill(store: Store) -> None:
        with store.write() as w:
            conn = w.conn
            ident.set_state(conn, device_name=device["name"], scope=device["scope"], epoch=epoch,
                            signing_key=base64.b64decode(device["signing_key"]), age_identity=device["age_identity"])
            ident.save_roster(conn, signed)
            if carried is None:
                apply_changes(conn, opened.changes)
            else:  # the records, changes, conflicts and knowledge are in the snapshot
                wall_ms, counter = meta["hlc"]
                ident.set_state(conn, hlc_wall_ms=int(wall_ms), hlc_counter=int(counter))
            knowledge.save(conn, meta["knowledge"])
            if not device["scope"]:
                chains.after_join(conn, meta)
            w.audit("device.join", detail={"device": device["device_id"], "name": device["name"],
                                           "enrolment": enrolment_id, "epoch": epoch,
                                           **({"snapshot": True} if carried is not None else {})})
        # The account as it is now, not as created: a disabled one is refused here, inside
        # build_store, which then removes the half-made store so the folder can be used again.
        now.append(_load_actor(store.engine, login))

    if carried is None:
        store, recovery_key = build_store(root, council_id, device["device_id"], actor, passphrase, fill, kdf)
    else:
        try:
            data_key = base64.b64decode(carried["data_key"], validate=True)
            size = int(carried["size"])
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(enrolment.NOT_ENROLMENT) from None
        if len(data_key) != 32:
            raise InvalidInput(enrolment.NOT_ENROLMENT)
        store, recovery_key = build_store(
            root, council_id, device["device_id"], actor, passphrase, fill, kdf, data_key=data_key,
            place_database=lambda layout: snapshot.install(layout.database, opened.pieces, size))
    store = store.as_actor(now[0])
    warning = consume_enrolment_file(enrolment_file, enrolment_id, device["name"])
    try:
        with store.write() as w:
            w.audit("device.enrolment_file", detail={"enrolment": enrolment_id, "used": warning is None})
    except BaseException:
        store.close()
        raise
    return Joined(store, RecoveryKey(recovery_key, ""), warning is None, warning)


def revoke_device(store: Store, name_or_id: str) -> dict:
    """A lost or retired installation: a new roster version; its later bundles are refused."""
    require(manages_accounts(store.actor.role))
    with store.write() as w:
        conn = w.conn
        me = ident.load(conn)
        roster = ident.roster_data(conn)
        entry = find_device(roster, name_or_id)
        if entry["device_id"] == me.device_id:
            raise InvalidInput("この端末自身は利用停止にできません。")
        if entry["revoked_at"] is not None:
            raise InvalidInput(f"端末「{entry['name']}」はすでに利用停止されています。")
        last = conn.execute(sa.select(SyncBundle.epoch, SyncBundle.seq).where(
            SyncBundle.sender == entry["device_id"], SyncBundle.direction == "in")
            .order_by(SyncBundle.epoch.desc(), SyncBundle.seq.desc()).limit(1)).first()
        accepted = sorted(h[:rosters.ACCEPTED_HASH_CHARS] for h in conn.execute(sa.select(SyncBundle.bundle_hash).where(
            SyncBundle.sender == entry["device_id"], SyncBundle.direction == "in")).scalars())
        revoked = {**entry, "revoked_at": clock.utcnow().isoformat(timespec="seconds"),
                   "last_accepted": {"epoch": last.epoch, "seq": last.seq} if last else None,
                   "accepted_bundles": accepted, "kept": chains.kept(conn, entry["device_id"], public_key_from(entry["public_key"]))}
        devices = [revoked if d["device_id"] == entry["device_id"] else d for d in roster["devices"]]
        signed = ident.publish_roster(conn, me, {**roster, "devices": devices}, store.council_key)
        w.audit("device.revoke", detail={"device": entry["device_id"], "name": entry["name"],
                                         "roster_version": signed.version})
        return revoked


def unprinted_recovery_identity(store: Store) -> str | None:
    """(admin) The recovery identity of a store upgraded from before sync, until printed."""
    if not manages_accounts(store.actor.role):
        return None
    with store.read() as s:
        return ident.unprinted_recovery_identity(s.connection())


def recovery_identity_printed(store: Store) -> None:
    require(manages_accounts(store.actor.role))
    with store.write() as w:
        ident.mark_recovery_identity_printed(w.conn)
        w.audit("sync.recovery_identity_printed")
