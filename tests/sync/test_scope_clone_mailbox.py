"""District-limited laptops, clone detection and the shared-folder mailbox, on real stores."""

import shutil
from datetime import date

import pytest

from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange import devices
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths
from shakyo_desk.store.exchange.mailbox import exchange
from shakyo_desk.store.services import contacts, districts, households
from shakyo_desk.store.store import unlock
from tests.sync.council import PASSPHRASE, carry, enrol, make_office

TODAY = date(2026, 11, 23)


def note(store, household, text):
    contacts.add_contact(store, household_id=household, contact_date=date(2026, 11, 20), seen_heard=text, today=TODAY)


def notes_of(store, household):
    return {c.seen_heard for c in contacts.list_contacts(store, household_id=household)}


@pytest.fixture
def office(tmp_path):
    store, _ = make_office(tmp_path)
    yield store
    store.close()


@pytest.fixture
def towns(office):
    up = districts.add_district(office, "上町", "かみまち")
    down = districts.add_district(office, "下町", "しもまち")
    return (households.add_household(office, up, "架空 上子", address="架空村上町1"),
            households.add_household(office, down, "架空 下子", address="架空村下町1"))


def test_a_district_limited_laptop_receives_only_its_districts(office, towns, tmp_path):
    upper, lower = towns
    note(office, lower, "下町の訪問メモ")
    laptop = enrol(office, tmp_path, "kamimachi", districts=["上町"])
    try:
        held = {h.id for h in households.list_households(laptop)}
        assert held == {upper}
        households.update_household(office, lower, phone="0000-99-9999")
        households.update_household(office, upper, phone="0000-11-1111")
        exported, report = carry(office, laptop, tmp_path / "usb", for_device="kamimachi")
        assert report.refused == []
        assert {h.id for h in households.list_households(laptop)} == {upper}
        assert households.get_household(laptop, upper, log=False).phone == "0000-11-1111"

        # A bundle for the whole council is not readable by the limited laptop at all.
        enrol(office, tmp_path, "office2").close()
        whole = export_bundle(office, tmp_path / "usb")
        [refused] = import_paths(laptop, [whole.path]).results
        assert refused.status == "refused" and refused.reason == "decrypt"

        note(laptop, upper, "上町でノートPCから記録")
        carry(laptop, office, tmp_path / "back")
        assert "上町でノートPCから記録" in notes_of(office, upper)
        assert check_store(laptop).sound, check_store(laptop).problems
        assert check_store(office).sound, check_store(office).problems
    finally:
        laptop.close()


def test_a_cloned_disk_is_detected_and_its_work_is_kept(office, towns, tmp_path):
    upper, _ = towns
    laptop = enrol(office, tmp_path, "laptop1")
    root = laptop.layout.root
    joined_epoch = devices.overview(laptop).epoch  # random at the join
    laptop.close()
    shutil.copytree(root, tmp_path / "clone")
    original = unlock(root, "admin", PASSPHRASE)
    clone = unlock(tmp_path / "clone", "admin", PASSPHRASE)
    try:
        note(clone, upper, "複製された端末で書いたメモ")
        (tmp_path / "usb").mkdir()
        exported = export_bundle(clone, tmp_path / "usb")
        [result] = import_paths(original, [exported.path]).results
        assert result.status == "applied" and result.clone_detected
        assert devices.overview(original).epoch != joined_epoch  # a fresh random one
        assert "複製された端末で書いたメモ" in notes_of(original, upper)

        # From now on the original writes under its new epoch; the office takes both.
        note(original, upper, "元の端末で新しい番号のメモ")
        out = export_bundle(original, tmp_path / "usb")
        [taken] = import_paths(office, [out.path]).results
        assert taken.status == "applied", taken.message
        assert {"複製された端末で書いたメモ", "元の端末で新しい番号のメモ"} <= notes_of(office, upper)
        assert check_store(original).sound, check_store(original).problems
    finally:
        original.close()
        clone.close()


def test_a_shared_folder_works_as_a_mailbox(office, towns, tmp_path):
    upper, lower = towns
    laptop = enrol(office, tmp_path, "laptop1")
    shared = tmp_path / "share"
    shared.mkdir()
    try:
        note(laptop, upper, "共有フォルダ経由のメモ")
        note(office, lower, "事務局からのメモ")
        first = exchange(laptop, shared)
        assert first.outbox.parent == shared and len(first.exported) == 1
        run = exchange(office, shared)
        assert run.imported.applied >= 1 and run.imported.refused == []
        exchange(laptop, shared)
        assert "共有フォルダ経由のメモ" in notes_of(office, upper)
        assert "事務局からのメモ" in notes_of(laptop, lower)
        again = exchange(office, shared)
        assert again.imported.results == [] or all(r.status != "refused" for r in again.imported.results)
        assert not list(shared.rglob("*.partial"))
    finally:
        laptop.close()


def test_outboxes_of_devices_alike_differ():
    from shakyo_desk.store.exchange.mailbox import outbox_name

    same_minute = ["01a24aee-93fb-730e-90a2-8d24410fa6f0", "01a24aee-94c1-7d2e-8a11-0c3f5e2b9d71"]
    assert outbox_name(same_minute[0], "tanaka-laptop-01") != outbox_name(same_minute[1], "tanaka-laptop-02")
    assert outbox_name(same_minute[0], "ノートPC") != outbox_name(same_minute[1], "ノートPC")
    assert outbox_name(same_minute[0], "office") == outbox_name(same_minute[0], "office")  # stable
