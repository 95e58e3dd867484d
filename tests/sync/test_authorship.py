"""Authorship is verifiable (issue 16): account and settings changes carry their author's
signature and are accepted elsewhere only when an admin's key from the roster signed them; the
council admin key that signs the roster is opened by admins' passphrases only.

Real stores and bundles: an office made by `init`, laptops enrolled from it. A modified app on
the office PC is a session (any account's passphrase opens the database there) that writes
through the store's `Writer` as another account, without that account's key."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from shakyo_desk.domain.errors import PermissionDenied
from shakyo_desk.domain.roles import Role
from shakyo_desk.store import writer as writer_module
from shakyo_desk.store.engine import open_engine
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.store.keyfile import FAST_KDF, KeyFile
from shakyo_desk.store.models import ChangeLog, DeviceState, Staff
from shakyo_desk.store.services import accounts
from shakyo_desk.store.store import unlock
from shakyo_desk.store.writer import Actor
from shakyo_desk.sync import roster as rosters
from tests.sync.council import PASSPHRASE, carry, enrol, make_office


@pytest.fixture
def council(tmp_path):
    office, _ = make_office(tmp_path)
    sato = accounts.add_account(office, "sato", "佐藤 コーディネーター", Role.COORDINATOR, PASSPHRASE, kdf=FAST_KDF)
    laptop = enrol(office, tmp_path, "laptop1")
    opened = [office, laptop]
    yield office, laptop, sato, opened
    for store in opened:
        if store.is_open:
            store.close()


def role_of(store, staff_id: str) -> str:
    with store.read() as s:
        return s.execute(sa.select(Staff.role).where(Staff.id == staff_id)).scalar_one()


def sato_at_the_office(office, opened):
    session = unlock(office.layout.root, "sato", PASSPHRASE)
    opened.append(session)
    return session


@pytest.mark.parametrize("how", ["own key", "no signature"])
def test_a_role_change_forged_at_the_office_by_a_coordinator_is_refused_elsewhere(council, tmp_path, monkeypatch,
                                                                                    how):
    office, laptop, sato, opened = council
    session = sato_at_the_office(office, opened)
    admin = office.actor
    forger = session.as_actor(Actor(admin.staff_id, admin.login, admin.display_name, Role.ADMIN))
    if how == "no signature":  # a modified app that leaves the signature out
        monkeypatch.setattr(writer_module.Writer, "_author_sig", lambda self, *args: None)
    with forger.write() as w:  # signed, if at all, with the coordinator's own key
        w.update(Staff, sato, {"role": Role.ADMIN.value})
    monkeypatch.undo()
    assert role_of(office, sato) == Role.ADMIN.value  # (the office's own database took it)
    exported, result = carry(session, laptop, tmp_path / "usb")
    [outcome] = result.results
    assert (outcome.status, outcome.reason) == ("refused", "author"), outcome.message
    assert "署名" in outcome.message and "アカウント「admin」" in outcome.message
    assert role_of(laptop, sato) == Role.COORDINATOR.value


def test_a_role_change_by_an_admin_syncs_with_its_signature(council, tmp_path):
    office, laptop, sato, _ = council
    accounts.update_account(office, sato, role=Role.STAFF)
    _, result = carry(office, laptop, tmp_path / "usb")
    assert [r.status for r in result.results] == ["applied"], result.results[0].message
    assert role_of(laptop, sato) == Role.STAFF.value
    with laptop.read() as s:
        signature = s.execute(sa.select(ChangeLog.author_sig).where(
            ChangeLog.entity == "staff", ChangeLog.entity_id == sato, ChangeLog.op == "update")).scalar_one()
    assert signature  # kept, so a relay passes it on


def test_a_coordinator_cannot_sign_a_roster_and_the_database_holds_no_admin_key(council):
    office, _, sato, opened = council
    council_key = office.council_key.private_bytes_raw()
    session = sato_at_the_office(office, opened)
    assert session.council_key is None
    with session.write() as w:
        me = ident.load(w.conn)
        assert me.is_office
        data = ident.roster_data(w.conn)
        with pytest.raises(PermissionDenied, match="管理者"):
            ident.publish_roster(w.conn, me, data, session.council_key)
    # keys.json: sealed to the admin only.
    keys = KeyFile.load(office.layout.key_file)
    assert keys.admin_key_holders() == ["admin"]
    # The database, opened with the data key alone, holds it nowhere.
    engine = open_engine(office.layout.database, office.data_key)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.select(DeviceState.admin_key)).scalar() is None
            for (table,) in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").all():
                for row in conn.exec_driver_sql(f'SELECT * FROM "{table}"').all():
                    for value in row:
                        if isinstance(value, bytes | str):
                            raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
                            assert council_key not in raw, table
    finally:
        engine.dispose()


def test_an_existing_store_moves_the_admin_key_at_an_admins_unlock(council, tmp_path, monkeypatch):
    office, laptop, sato, opened = council
    suzuki = accounts.add_account(office, "suzuki", "鈴木 管理者", Role.ADMIN, PASSPHRASE, kdf=FAST_KDF)
    key = office.council_key
    # As a store made before issue 16: the council admin key in device_state, none in keys.json,
    # no signing keys, and a roster without them.
    with office.write() as w:
        ident.set_state(w.conn, admin_key=key.private_bytes_raw())
        roster = ident.roster_data(w.conn)
        old = {k: v for k, v in roster.items() if k != rosters.UNSIGNED_BEFORE}
        old["staff"] = [{k: v for k, v in e.items() if k != "signing_key"} for e in roster["staff"]]
        ident.publish_roster(w.conn, ident.load(w.conn), old, key)
    doc = json.loads(office.layout.key_file.read_text("utf-8"))
    for entry in doc["accounts"].values():
        entry.pop("admin", None)
        entry.pop("signing", None)
    office.layout.key_file.write_text(json.dumps(doc), "utf-8")
    carry(office, laptop, tmp_path / "usb0")  # the laptop takes the old roster
    # An account change the old app wrote, unsigned.
    monkeypatch.setattr(writer_module.Writer, "_author_sig", lambda self, *args: None)
    with office.write() as w:
        w.update(Staff, sato, {"role": Role.STAFF.value})
    monkeypatch.undo()
    office.close()

    coordinator = unlock(office.layout.root, "sato", PASSPHRASE)  # not an admin: nothing moves
    with coordinator.read() as s:
        assert s.execute(sa.select(DeviceState.admin_key)).scalar() is not None
    assert coordinator.council_key is None
    coordinator.close()

    admin = unlock(office.layout.root, "admin", PASSPHRASE)
    opened.append(admin)
    assert admin.council_key.private_bytes_raw() == key.private_bytes_raw()
    with admin.read() as s:
        assert s.execute(sa.select(DeviceState.admin_key)).scalar() is None
        roster = ident.roster_data(s.connection())
    keys = KeyFile.load(office.layout.key_file)
    assert keys.admin_key_holders() == ["admin", "suzuki"]  # the other admin too, from its public key
    signing = {e["login"]: e["signing_key"] for e in roster["staff"]}
    assert signing["admin"] == keys.signing_public("admin") and signing["admin"]
    assert rosters.UNSIGNED_BEFORE in roster
    # The other admin opens it with their own passphrase.
    other = unlock(office.layout.root, "suzuki", PASSPHRASE)
    assert other.council_key.private_bytes_raw() == key.private_bytes_raw()
    other.close()
    # A signed change now; the laptop takes it with the old unsigned one.
    accounts.update_account(admin, sato, role=Role.COORDINATOR)
    _, result = carry(admin, laptop, tmp_path / "usb1")
    assert [r.status for r in result.results] == ["applied"], result.results[0].message
    assert role_of(laptop, sato) == Role.COORDINATOR.value
    assert suzuki
