"""The council admin key is handed over when someone who held it is no longer an admin.

Before, a demoted (or disabled) admin's sealed copy of the key was only taken out of keys.json:
a copy of the old keys.json, opened with that person's passphrase, still signed rosters every
device took — a new device of their own, a revocation of an honest laptop. Now the office draws
a new key, the old key signs the handover, and a device that has seen it refuses anything the
old key signs after. Real stores, real bundle files: an office made by `init`, laptops enrolled
from it."""

from __future__ import annotations

import base64

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shakyo_desk.domain.roles import Role
from shakyo_desk.store import council_key
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.store.exchange.devices import revoke_device
from shakyo_desk.store.keyfile import FAST_KDF, KeyFile
from shakyo_desk.store.models import AuditLog
from shakyo_desk.store.services import accounts
from shakyo_desk.store.store import unlock
from shakyo_desk.sync import authorship
from shakyo_desk.sync import roster as rosters
from tests.sync.council import PASSPHRASE, carry, enrol, make_office


@pytest.fixture
def council(tmp_path):
    """The office with a second admin (yamada), and two laptops that hold the first roster."""
    office, _ = make_office(tmp_path)
    yamada = accounts.add_account(office, "yamada", "山田 管理者", Role.ADMIN, PASSPHRASE, kdf=FAST_KDF)
    laptops = [enrol(office, tmp_path, name) for name in ("laptop1", "laptop2")]
    opened = [office, *laptops]
    yield office, laptops, yamada, opened
    for store in opened:
        if store.is_open:
            store.close()


def roster_key(store) -> str:
    with store.read() as s:
        return ident.roster_data(s.connection())["admin_key"]


def old_keys_file_opens(keys_json: bytes, login: str) -> Ed25519PrivateKey:
    """What a copy of keys.json taken while ``login`` was an admin still opens."""
    copy = KeyFile.from_json(keys_json)
    private = copy.open_private(login, PASSPHRASE)
    return Ed25519PrivateKey.from_private_bytes(copy.open_admin_key(login, private))


def forged_roster(store, key: Ed25519PrivateKey, **changes) -> rosters.SignedRoster:
    """A newer roster, signed with ``key``, that adds a device of the forger's own."""
    with store.read() as s:
        data = ident.roster_data(s.connection())
    rogue = rosters.device_entry("01a00000-0000-7000-8000-00000000beef", "持ち出したPC",
                                 base64.b64encode(b"\x01" * 32).decode(), "age1rogue", [], "2026-12-07T09:00:00")
    return rosters.sign({**data, "version": data["version"] + 5, "devices": [*data["devices"], rogue],
                         "admin_key": authorship.public_b64(key), **changes}, key)


def adopts(store, signed: rosters.SignedRoster) -> bool:
    with store.write() as w:
        try:
            return ident.adopt_roster(w.conn, signed, ident.load(w.conn).council_id)
        except rosters.RosterInvalid:
            return False


def test_a_demoted_admins_old_keys_file_signs_nothing_a_laptop_takes(council, tmp_path):
    office, (laptop1, laptop2), yamada, _ = council
    first_key = roster_key(office)
    copied = office.layout.key_file.read_bytes()  # yamada keeps a copy while still an admin
    assert authorship.public_b64(old_keys_file_opens(copied, "yamada")) == first_key

    accounts.update_account(office, yamada, role=Role.STAFF)

    handed = roster_key(office)
    assert handed != first_key and authorship.public_b64(office.council_key) == handed
    keys = KeyFile.load(office.layout.key_file)
    assert "admin" not in keys.accounts["yamada"] and "admin_next" not in keys.accounts["yamada"]
    assert keys.admin_sealed_to == ["admin"] and keys.admin_key_holders("admin_next") == []
    with office.read() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(AuditLog)
                         .where(AuditLog.action == council_key.ROTATED)).scalar_one() == 1
    with office.read() as s:
        [link] = ident.roster_data(s.connection()).get(rosters.HANDOVERS)
    assert (link["from"], link["to"]) == (first_key, handed)

    # laptop1 hears of the handover with the office's next bundle; laptop2 does not yet.
    _, result = carry(office, laptop1, tmp_path / "usb")
    assert [r.status for r in result.results] == ["applied"]
    assert roster_key(laptop1) == handed

    old = old_keys_file_opens(copied, "yamada")
    assert not adopts(laptop1, forged_roster(laptop1, old))
    assert not adopts(laptop1, forged_roster(laptop1, old, admin_key=handed))
    # Nor can the old key hand itself over again to a key of the forger's.
    rogue = Ed25519PrivateKey.generate()
    with laptop1.read() as s:
        links = ident.roster_data(s.connection())[rosters.HANDOVERS]
        council_id = ident.load(s.connection()).council_id
    fork = rosters.handover(old, authorship.public_b64(rogue), council_id)
    assert not adopts(laptop1, forged_roster(laptop1, rogue, **{rosters.HANDOVERS: [*links, fork]}))
    assert roster_key(laptop1) == handed
    # The limit: a device that has not yet heard of the handover still takes the old key's word.
    assert adopts(laptop2, forged_roster(laptop2, old))


def test_a_laptop_that_missed_versions_follows_every_handover(council, tmp_path):
    office, (laptop1, _), yamada, opened = council
    kato = accounts.add_account(office, "kato", "加藤 管理者", Role.ADMIN, PASSPHRASE, kdf=FAST_KDF)
    keys = [roster_key(office)]
    accounts.update_account(office, yamada, role=Role.COORDINATOR)
    keys.append(roster_key(office))
    accounts.disable_account(office, kato)  # disabled: its entry is gone, the key still handed over
    keys.append(roster_key(office))
    assert len(set(keys)) == 3
    _, result = carry(office, laptop1, tmp_path / "usb")
    assert [r.status for r in result.results] == ["applied"]
    assert roster_key(laptop1) == keys[-1]
    # The office keeps signing with the new key: a revocation reaches the laptop.
    revoke_device(office, "laptop2")
    carry(office, laptop1, tmp_path / "usb2")
    with laptop1.read() as s:
        [entry] = [d for d in ident.roster_data(s.connection())["devices"] if d["name"] == "laptop2"]
    assert entry["revoked_at"] is not None
    # The remaining admin's next unlock opens the new key.
    office.close()
    again = unlock(office.layout.root, "admin", PASSPHRASE)
    opened.append(again)
    assert authorship.public_b64(again.council_key) == keys[-1]


def test_a_handover_link_not_signed_by_the_trusted_key_is_refused(council):
    office, (laptop1, _), _, _ = council
    trusted = roster_key(laptop1)
    stranger, rogue = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    with laptop1.read() as s:
        council_id = ident.load(s.connection()).council_id
    link = rosters.handover(stranger, authorship.public_b64(rogue), council_id)
    link["from"] = trusted  # claims to come from the key the laptop trusts
    assert not adopts(laptop1, forged_roster(laptop1, rogue, **{rosters.HANDOVERS: [link]}))
    assert roster_key(laptop1) == trusted


@pytest.mark.parametrize("killed_at", ["before the roster", "before keys.json is promoted"])
def test_a_handover_cut_short_is_finished_at_the_next_admin_unlock(council, tmp_path, monkeypatch, killed_at):
    office, (laptop1, _), yamada, opened = council
    first_key = roster_key(office)

    class Killed(Exception):
        pass

    def kill(*_args, **_kwargs):
        raise Killed

    target = (ident, "publish_roster") if killed_at == "before the roster" else (council_key, "_promote")
    monkeypatch.setattr(*target, kill)
    with pytest.raises(Killed):
        accounts.update_account(office, yamada, role=Role.STAFF)
    monkeypatch.undo()
    assert (roster_key(office) == first_key) == (killed_at == "before the roster")
    office.close()

    again = unlock(office.layout.root, "admin", PASSPHRASE)
    opened.append(again)
    handed = roster_key(again)
    assert handed != first_key and authorship.public_b64(again.council_key) == handed
    keys = KeyFile.load(again.layout.key_file)
    assert keys.admin_key_holders("admin_next") == [] and keys.admin_key_holders() == ["admin"]
    revoke_device(again, "laptop2")  # the office can still sign, and the laptop follows
    _, result = carry(again, laptop1, tmp_path / "usb")
    assert [r.status for r in result.results] == ["applied"]
    assert roster_key(laptop1) == handed


def test_an_admin_added_later_gets_the_new_key_and_no_handover_follows(council, tmp_path):
    office, (laptop1, _), yamada, _ = council
    accounts.update_account(office, yamada, role=Role.STAFF)
    handed = roster_key(office)
    accounts.add_account(office, "kato", "加藤 管理者", Role.ADMIN, PASSPHRASE, kdf=FAST_KDF)
    assert roster_key(office) == handed  # a new admin is no reason for a handover
    keys = KeyFile.load(office.layout.key_file)
    assert keys.admin_sealed_to == ["admin", "kato"]
    assert authorship.public_b64(old_keys_file_opens(office.layout.key_file.read_bytes(), "kato")) == handed
