"""Origin authentication (issue 15): every change is attributable to the device that made it,
even when it reaches a third device through others; nobody can write as another device, alter
a change it relays or pass on a revoked device's later work."""

import json
import zlib
from datetime import datetime

import pytest
import sqlalchemy as sa

from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange import chains, exporting
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.store.exchange import knowledge
from shakyo_desk.store.exchange.devices import revoke_device
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths, quarantine_list
from shakyo_desk.store.models import ChangeLog, Contact, Staff
from shakyo_desk.store.services import contacts, districts, households
from shakyo_desk.sync import chain
from shakyo_desk.sync.bundle import canonical_json
from tests.sync.council import enrol, make_office
from tests.sync.test_hostile_input import insider_bundle


@pytest.fixture
def council(tmp_path):
    office, _ = make_office(tmp_path)
    district = districts.add_district(office, "上町", "かみまち")
    household = households.add_household(office, district, "架空 花子")
    a = enrol(office, tmp_path, "laptopA")
    b = enrol(office, tmp_path, "laptopB")
    c = enrol(office, tmp_path, "laptopC")
    for laptop in (a, b):  # the roster that names every laptop, so each can write to the others
        assert carry(office, laptop, usb(tmp_path, f"roster-{laptop.layout.root.name}")).status == "applied"
    yield office, a, b, c, household, tmp_path
    for store in (office, a, b, c):
        store.close()


def usb(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    return folder


def carry(source, target, folder):
    exported = export_bundle(source, folder)
    [result] = import_paths(target, [exported.path]).results
    return result


def identity(store) -> ident.Identity:
    with store.read() as s:
        return ident.load(s.connection())


def notes(store, household) -> set[str]:
    return {c.seen_heard for c in contacts.list_contacts(store, household_id=household)}


def forged_bundle(sender, receiver, folder, name, changes, *, chain_entry=None):
    """A bundle signed with `sender`'s real key (an enrolled device turned hostile) carrying
    `changes` as one range, with the chain entry it chooses."""
    first = changes[0]
    spec = {"origin": first["origin"], "epoch": first["epoch"], "first": first["seq"], "last": changes[-1]["seq"]}
    if chain_entry is not None:
        spec["chain"] = chain_entry
    payload = zlib.compress(b"[" + b",".join(canonical_json(c) for c in changes) + b"]")
    return insider_bundle(sender, receiver, folder, name, ranges=[spec], payload=payload, count=len(changes))


def role_change(office_me, reporter_id, admin_id, seq):
    return {"origin": office_me.device_id, "epoch": office_me.epoch, "seq": seq, "entity": "staff",
            "entity_id": reporter_id, "op": "update", "fields": {"role": "admin"}, "base": {},
            "hlc": f"{1_900_000_000_000:015d}.000000.{office_me.device_id}", "staff_id": admin_id,
            "recorded_at": datetime(2026, 12, 7, 9).isoformat()}


def test_a_laptop_cannot_write_as_the_office_nor_as_an_admin(council):
    """The issue's case 2: laptop B signs a bundle whose change claims the office's origin and
    an admin author, raising a reporter to admin."""
    office, a, b, c, household, tmp_path = council
    from shakyo_desk.store.services import accounts
    reporter = accounts.add_account(office, "houkoku", "報告 一郎", "reporter", "pass phrase 12")
    assert carry(office, a, usb(tmp_path, "o-a")).status == "applied"
    office_me, b_me = identity(office), identity(b)
    with office.read() as s:
        admin_id = s.execute(sa.select(Staff.id).where(Staff.login == "admin")).scalar_one()
    for target in (office, a):
        with target.read() as s:
            held = knowledge.own(s.connection()).get(f"{office_me.device_id}:{office_me.epoch}", 0)
        with office.read() as s:  # the true chain value there: the strongest forgery B could make
            start = chains.tip(s.connection(), office_me.device_id, office_me.epoch, held)
        forged = role_change(office_me, reporter, admin_id, held + 1)
        # Unsigned, and "signed" by B's own key as if it were the office's head.
        value = chain.step(start, chains.wire_digest(forged))
        fake_head = {"from": start.hex(), "head": value.hex(),
                     "sig": chain.sign_head(b_me.keys.signing_key, office_me.device_id, office_me.epoch,
                                            held + 1, value)}
        for i, entry in enumerate((None, fake_head)):
            path = forged_bundle(b, target, usb(tmp_path, f"forge-{target.layout.root.name}-{i}"),
                                 f"forged{i}.bundle", [forged], chain_entry=entry)
            [result] = import_paths(target, [path]).results
            assert (result.status, result.reason) == ("refused", "origin"), result.message
            assert "laptopB" in result.message
            assert (path.name, "origin") in [(q["file_name"], q["reason"]) for q in quarantine_list(target)]
        with target.read() as s:
            assert s.execute(sa.select(Staff.role).where(Staff.id == reporter)).scalar_one() == "reporter"
        assert check_store(target).sound


def test_a_relay_that_alters_a_change_is_refused_and_the_genuine_change_still_arrives(council, monkeypatch):
    office, a, b, c, household, tmp_path = council
    contacts.add_contact(a, household_id=household, method="訪問", seen_heard="畑で元気に話した")
    assert carry(a, b, usb(tmp_path, "a-b")).status == "applied"

    real_line = exporting._line

    def tampering(row, origin, epoch, fields, words):  # B rewrites A's note as it passes it on
        return real_line(row, origin, epoch, fields.replace("畑で元気に話した", "入院したらしい"), words)

    with monkeypatch.context() as m:
        m.setattr(exporting, "_line", tampering)
        tampered = export_bundle(b, usb(tmp_path, "b-c"))
    [result] = import_paths(c, [tampered.path]).results
    assert (result.status, result.reason) == ("refused", "origin") and "laptopB" in result.message
    assert notes(c, household) == set()

    # The same relay, honest: A's note reaches C through B, on A's chain.
    assert carry(b, c, usb(tmp_path, "b-c2")).status == "applied"
    assert notes(c, household) == {"畑で元気に話した"}
    a_me = identity(a)
    with c.read() as s:
        rows = s.execute(sa.select(ChangeLog.seq, ChangeLog.chain).where(
            ChangeLog.origin_device == a_me.device_id, ChangeLog.epoch == a_me.epoch)).all()
    with a.read() as s:
        theirs = dict(s.execute(sa.select(ChangeLog.seq, ChangeLog.chain).where(
            ChangeLog.origin_device == a_me.device_id, ChangeLog.epoch == a_me.epoch)).all())
    assert rows and all(value is not None and value == theirs[seq] for seq, value in rows)


def test_a_change_passed_on_through_the_office_and_a_laptop_reaches_a_third_device_verified(council):
    office, a, b, c, household, tmp_path = council
    contacts.add_contact(a, household_id=household, method="電話", seen_heard="声が明るかった")
    assert carry(a, office, usb(tmp_path, "a-o")).status == "applied"
    assert carry(office, b, usb(tmp_path, "o-b")).status == "applied"
    result = carry(b, c, usb(tmp_path, "b-c"))
    assert result.status == "applied" and result.applied >= 1
    assert notes(c, household) == {"声が明るかった"}
    for store in (office, a, b, c):
        assert check_store(store).sound


def test_a_revoked_laptops_later_work_relayed_by_another_device_is_set_aside(council):
    """A stolen laptop's changes made after the revocation reach B (which has not heard of it
    yet) and B passes them on: C takes what the office had kept of the laptop, nothing after."""
    office, a, b, c, household, tmp_path = council
    contacts.add_contact(a, household_id=household, method="訪問", seen_heard="盗まれる前")
    assert carry(a, office, usb(tmp_path, "a-o")).status == "applied"
    revoke_device(office, "laptopA")
    contacts.add_contact(a, household_id=household, method="訪問", seen_heard="盗んだ人の書き込み")
    assert carry(a, b, usb(tmp_path, "a-b")).status == "applied"  # B still has the old roster
    assert notes(b, household) == {"盗まれる前", "盗んだ人の書き込み"}
    assert carry(office, c, usb(tmp_path, "o-c")).status == "applied"  # C: the new roster, what was kept
    assert notes(c, household) == {"盗まれる前"}
    result = carry(b, c, usb(tmp_path, "b-c"))
    assert result.status == "applied", result.message
    assert notes(c, household) == {"盗まれる前"}
    # B learns of the revocation and its later bundles no longer carry the thief's change to anyone.
    assert carry(office, b, usb(tmp_path, "o-b")).status == "applied"
    assert carry(b, c, usb(tmp_path, "b-c2")).status == "applied"
    assert notes(c, household) == {"盗まれる前"}


def test_a_purged_records_blanked_history_is_relayed_but_a_relay_cannot_blank_a_live_record(council, monkeypatch):
    office, a, b, c, household, tmp_path = council
    contacts.add_contact(a, household_id=household, method="訪問", seen_heard="消される前のメモ")
    contacts.add_contact(a, household_id=household, method="電話", seen_heard="残るメモ")
    d = enrol(office, tmp_path, "laptopD")  # (before the office holds A's contacts: D gets them from B)
    assert carry(a, office, usb(tmp_path, "a-o")).status == "applied"
    assert carry(a, b, usb(tmp_path, "a-b")).status == "applied"
    [erased] = [x.id for x in contacts.list_contacts(b, household_id=household) if x.seen_heard == "消される前のメモ"]
    with office.write() as w:  # the office's admin erases one contact (legal erasure, signed)
        w.purge(Contact, erased)
    assert carry(office, b, usb(tmp_path, "o-b")).status == "applied"  # its history is blanked on B
    result = carry(b, c, usb(tmp_path, "b-c"))
    assert result.status == "applied", result.message
    assert notes(c, household) == {"残るメモ"}
    with c.read() as s:
        sealed = s.execute(sa.select(ChangeLog.sealed).where(ChangeLog.entity_id == erased,
                                                            ChangeLog.op == "insert")).scalar_one()
    assert sealed is not None

    # A hostile relay blanks the live contact and supplies its sealed hash: the chain would pass.
    [live] = [x.id for x in contacts.list_contacts(b, household_id=household)]
    real_line = exporting._line

    def blanking(row, origin, epoch, text, words):
        seq, entity, entity_id, *rest = row
        if entity_id == live:
            fields = json.loads(text)
            keep = {k: v for k, v in fields.items() if k in ("id", "household_id", "staff_id")}
            row, text = (*row[:10], chain.values_hash(text).hex(), *row[11:]), json.dumps(keep)
        return real_line(row, origin, epoch, text, words)

    try:
        with monkeypatch.context() as m:
            m.setattr(exporting, "_line", blanking)
            hostile = export_bundle(b, usb(tmp_path, "b-d"))
        [refused] = import_paths(d, [hostile.path]).results
        assert (refused.status, refused.reason) == ("refused", "origin"), refused.message
        assert "消去されていない記録" in refused.message
    finally:
        d.close()
