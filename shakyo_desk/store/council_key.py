"""Who holds the council admin key, and the accounts' signing keys (issue 16).

The council admin key signs the roster. It lives in keys.json only, sealed to each admin's key
pair (`KeyFile.seal_admin_key`), so only an admin's passphrase opens it: a coordinator or staff
member who opens the database finds no key there and cannot sign a roster. Each account's
signing key (`KeyFile.give_signing_key`) signs its account and settings changes
(`sync/authorship.py`); the office publishes the public halves in the roster's `staff` list.

`refresh` runs at every unlock and after every account change:

- the account gets its own signing key if it has none yet (sealed to its own key pair);
- at the office, in an admin's session: a store from before (the key in `device_state.admin_key`)
  moves it into keys.json and empties the column; the key is sealed to every active admin that
  lacks it and taken from entries that are no admin's any more; the roster is published again
  when its staff list (roles, signing keys) is out of date, the first time with
  `unsigned_before`: which of the office's account changes were written before signatures.
- at the office, in an admin's session: when someone the council admin key was ever sealed to
  (`KeyFile.admin_sealed_to`) is no longer an active admin — demoted, disabled, removed — a copy
  of an old keys.json would still open the key, so it is handed over (`rotate`): a new key,
  signed over to by the old one (sync/roster.py, handovers), becomes the roster's `admin_key`.
  In three steps that survive a kill between any two: the new key sealed to the admins as
  `admin_next` and keys.json saved; the roster naming it published; `admin_next` promoted.
"""

from __future__ import annotations

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shakyo_desk.domain.errors import PermissionDenied, StoreError
from shakyo_desk.domain.roles import Role
from shakyo_desk.store.keyfile import Opened
from shakyo_desk.store.models import ChangeLog, DeviceState, Staff
from shakyo_desk.sync import authorship
from shakyo_desk.sync import roster as rosters

NOT_SIGNED_UP = ("この管理者アカウントの署名鍵は、まだ端末の名簿に載っていません。"
                 "いったんロックして、もう一度ロックを解除してから操作してください。"
                 "それでも続くときは、ほかの管理者にこの端末でロックを解除してもらってください。")
MOVED = "council_key.moved"
ROTATED = "council_key.rotated"


def open_session_keys(store, login: str, opened: Opened) -> None:
    """After unlocking with a passphrase: the account's signing key and, for an admin at the
    office, the council admin key, from its entry."""
    signing = store.keyfile.open_signing_key(login, opened.private)
    admin = store.keyfile.open_admin_key(login, opened.private)
    following = store.keyfile.open_admin_key(login, opened.private, slot="admin_next")
    store.signer = Ed25519PrivateKey.from_private_bytes(signing) if signing else None
    store.council_key = Ed25519PrivateKey.from_private_bytes(admin) if admin else None
    store.council_key_next = Ed25519PrivateKey.from_private_bytes(following) if following else None


def carry(store, login: str) -> None:
    """After the acting account's entry got a new key pair (a passphrase change): its signing
    key and the council admin key sealed to the new pair."""
    if login != store.actor.login:
        return
    if store.signer is not None:
        store.keyfile.give_signing_key(login, store.signer.private_bytes_raw())
    if store.council_key is not None:
        store.keyfile.seal_admin_key(login, store.council_key.private_bytes_raw())
    if store.council_key_next is not None:
        store.keyfile.seal_admin_key(login, store.council_key_next.private_bytes_raw(), slot="admin_next")


def refresh(store) -> None:
    from shakyo_desk.store.exchange import identity as ident

    login = store.actor.login
    keyfile = store.keyfile
    changed = False
    if keyfile.signing_public(login) is None:
        signing = keyfile.give_signing_key(login)
        if signing is not None:
            store.signer = Ed25519PrivateKey.from_private_bytes(signing)
            changed = True
    if changed:
        keyfile.save(store.layout.key_file)
        changed = False
    rotate_if_exposed(store)
    with store.write() as w:
        conn = w.conn
        state = conn.execute(sa.select(DeviceState.admin_key, DeviceState.signing_key, DeviceState.device_id)
                             .where(DeviceState.id == 1)).one()
        office = state.signing_key is not None and ident.is_office(conn)
        admin_session = store.actor.role == Role.ADMIN and office
        key = store.council_key
        if admin_session and state.admin_key is not None:
            key = Ed25519PrivateKey.from_private_bytes(state.admin_key)
            if authorship.public_b64(key) != ident.roster_data(conn)["admin_key"]:
                raise StoreError("この端末の名簿の署名鍵が名簿と合いません。データが壊れているおそれがあります。管理者に相談してください。")
        if admin_session and key is not None:
            raw = key.private_bytes_raw()
            admins = set(conn.execute(sa.select(Staff.login).where(
                Staff.role == Role.ADMIN.value, Staff.disabled_at.is_(None), Staff.deleted_at.is_(None))).scalars())
            for holder in list(keyfile.accounts):
                changed |= keyfile.seal_admin_key(holder, raw) if holder in admins else keyfile.drop_admin_key(holder)
            _publish_if_stale(conn, ident, keyfile, key)
            if state.admin_key is not None:
                # Zero the freed bytes too (SQLite otherwise leaves the old cell in the page).
                conn.exec_driver_sql("PRAGMA secure_delete = ON")
                ident.set_state(conn, admin_key=None)
                conn.exec_driver_sql("PRAGMA secure_delete = OFF")
                w.audit(MOVED, detail={"admins": sorted(admins & set(keyfile.accounts))})
            for member in list(store._family):
                member.council_key = key
        if changed:
            keyfile.save(store.layout.key_file)


def _publish_if_stale(conn, ident, keyfile, key: Ed25519PrivateKey) -> None:
    roster = ident.roster_data(conn)
    rows = conn.execute(sa.select(Staff.id, Staff.login, Staff.role, Staff.disabled_at)
                        .where(Staff.deleted_at.is_(None)).order_by(Staff.login)).all()
    staff = [rosters.staff_entry(r.id, r.login, r.role, r.disabled_at is not None, keyfile.signing_public(r.login))
             for r in rows]
    wanted = {**roster, "staff": staff}
    if rosters.UNSIGNED_BEFORE not in roster:
        wanted[rosters.UNSIGNED_BEFORE] = _written_before(conn, rosters.office_device_id(roster))
    if wanted != roster:
        ident.publish_roster(conn, ident.load(conn), wanted, key)


def _written_before(conn, office: str | None) -> dict[str, int]:
    """Per epoch of the office: the first seq that comes after signatures began."""
    before: dict[str, int] = {}
    for epoch, last in conn.execute(sa.select(ChangeLog.epoch, sa.func.max(ChangeLog.seq))
                                    .where(ChangeLog.origin_device == office).group_by(ChangeLog.epoch)):
        before[f"{office}:{epoch}"] = last + 1
    state = conn.execute(sa.select(DeviceState.device_id, DeviceState.epoch, DeviceState.next_seq)
                         .where(DeviceState.id == 1)).one()
    if state.device_id == office:
        key = f"{office}:{state.epoch}"
        before[key] = max(before.get(key, 0), state.next_seq)
    return before


def require_signing(store, conn) -> None:
    """Before an account or settings change: the session holds a signing key that the roster
    lists for the acting admin (other devices accept nothing else)."""
    if store.signer is None:
        from shakyo_desk.store.writer import UNSIGNED

        raise PermissionDenied(UNSIGNED)
    from shakyo_desk.store.exchange import identity as ident

    state = conn.execute(sa.select(DeviceState.signing_key).where(DeviceState.id == 1)).one()
    if state.signing_key is None:
        return  # a store from before sync: no roster yet (its first unlock makes one)
    roster = ident.roster_data(conn)
    if rosters.UNSIGNED_BEFORE not in roster:
        return
    listed = authorship.admin_keys([roster]).get(store.actor.staff_id or "", set())
    if authorship.public_b64(store.signer) not in listed:
        raise PermissionDenied(NOT_SIGNED_UP)


def _admins(conn) -> set[str]:
    return set(conn.execute(sa.select(Staff.login).where(
        Staff.role == Role.ADMIN.value, Staff.disabled_at.is_(None), Staff.deleted_at.is_(None))).scalars())


def _set_session_key(store, key: Ed25519PrivateKey) -> None:
    for member in list(store._family):
        member.council_key, member.council_key_next = key, None


def rotate_if_exposed(store) -> bool:
    """At the office, in an admin's session holding the council admin key: hand it over to a new
    key when someone it was sealed to is no longer an active admin, or finish a handover a kill
    cut short. True when the roster's key changed."""
    from shakyo_desk.store.exchange import identity as ident

    if store.actor.role != Role.ADMIN:
        return False
    keyfile = store.keyfile
    with store.read() as s:
        conn = s.connection()
        state = conn.execute(sa.select(DeviceState.admin_key, DeviceState.signing_key).where(DeviceState.id == 1)).one()
        if state.signing_key is None or state.admin_key is not None or not ident.is_office(conn):
            return False  # no roster yet, or the key still waits to leave device_state (refresh)
        roster_key, admins = ident.roster_data(conn)["admin_key"], _admins(conn)
    current, following = store.council_key, store.council_key_next
    if following is not None and authorship.public_b64(following) == roster_key:
        _promote(store, following)  # published; keys.json not promoted yet
        return True
    if current is None or authorship.public_b64(current) != roster_key:
        return False  # this admin does not hold the roster's key: another admin's unlock will
    if keyfile.admin_sealed_to is None:  # a key file from before: who held the key is what we know
        keyfile.admin_sealed_to = keyfile.admin_key_holders()
        keyfile.save(store.layout.key_file)
    if following is None and set(keyfile.admin_sealed_to) <= admins:
        return False
    rotate(store, current, following or Ed25519PrivateKey.generate(), admins)
    return True


def rotate(store, current: Ed25519PrivateKey, new: Ed25519PrivateKey, admins: set[str]) -> None:
    from shakyo_desk.store.exchange import identity as ident

    keyfile, raw = store.keyfile, new.private_bytes_raw()
    for holder in list(keyfile.accounts):
        if holder in admins:
            keyfile.seal_admin_key(holder, raw, slot="admin_next")
        else:
            keyfile.drop_admin_key(holder)
    keyfile.save(store.layout.key_file)  # 1. sealed to the admins (a kill here: the next unlock goes on)
    store.council_key_next = new
    with store.write() as w:  # 2. the roster names it, with the old key's handover
        roster = ident.roster_data(w.conn)
        public = authorship.public_b64(new)
        data = {**roster, "admin_key": public,
                rosters.HANDOVERS: [*roster.get(rosters.HANDOVERS, []),
                                    rosters.handover(current, public, roster["council_id"])]}
        ident.publish_roster(w.conn, ident.load(w.conn), data, new)
        w.audit(ROTATED, detail={"admins": sorted(admins & set(keyfile.accounts))})
    _promote(store, new)  # 3.


def _promote(store, key: Ed25519PrivateKey) -> None:
    keyfile = store.keyfile
    for holder in keyfile.admin_key_holders("admin_next"):
        keyfile.promote_admin_key(holder)
    keyfile.admin_sealed_to = keyfile.admin_key_holders()
    keyfile.save(store.layout.key_file)
    _set_session_key(store, key)
