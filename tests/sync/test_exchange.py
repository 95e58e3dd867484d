"""Two and three real stores exchanging real bundle files through the services."""

from datetime import date

import pytest

from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange import conflicts, devices
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths
from shakyo_desk.store.services import contacts, districts, households
from tests.sync.council import carry, enrol, make_office


@pytest.fixture
def council(tmp_path):
    office, kit = make_office(tmp_path)
    district = districts.add_district(office, "上町", "かみまち")
    household = households.add_household(office, district, "架空 花子", "カクウ ハナコ", address="架空村上町1")
    laptop = enrol(office, tmp_path, "laptop1")
    yield office, laptop, household, tmp_path
    for s in (office, laptop):
        if s.is_open:
            s.close()


def test_enrolled_laptop_holds_the_office_data_and_is_sound(council):
    office, laptop, household, _ = council
    assert households.get_household(laptop, household, log=False).address == "架空村上町1"
    assert check_store(laptop).sound, check_store(laptop).problems
    names = [d.name for d in devices.overview(office).devices]
    assert names == ["事務局", "laptop1"]


def test_a_visit_recorded_on_the_laptop_reaches_the_office(council, tmp_path):
    office, laptop, household, _ = council
    contacts.add_contact(laptop, household_id=household, contact_date=date(2026, 11, 20),
                         seen_heard="玄関先で話した。元気そう。", today=date(2026, 11, 23))
    exported, report = carry(laptop, office, tmp_path / "usb")
    assert exported.changes >= 1
    assert report.refused == [] and report.applied >= 1
    notes = [c.seen_heard for c in contacts.list_contacts(office, household_id=household)]
    assert "玄関先で話した。元気そう。" in notes
    assert check_store(office).sound, check_store(office).problems


def test_same_field_edited_on_both_sides_keeps_both_values_until_chosen(council, tmp_path):
    office, laptop, household, _ = council
    households.update_household(office, household, phone="0000-11-1111")
    households.update_household(laptop, household, phone="0000-22-2222")
    carry(laptop, office, tmp_path / "a")
    carry(office, laptop, tmp_path / "b")
    for store in (office, laptop):
        [conflict] = conflicts.list_conflicts(store)
        assert conflict.field == "phone" and conflict.kind == "value"
        assert sorted(c.value for c in conflict.choices) == ["0000-11-1111", "0000-22-2222"]
    shown = {households.get_household(s, household, log=False).phone for s in (office, laptop)}
    assert len(shown) == 1  # the same provisional value everywhere
    [conflict] = conflicts.list_conflicts(office)
    chosen = next(c for c in conflict.choices if c.value == "0000-22-2222")
    conflicts.resolve_conflict(office, conflict.id, chosen.number)
    assert conflicts.list_conflicts(office) == []
    carry(office, laptop, tmp_path / "c")
    assert conflicts.list_conflicts(laptop) == []
    assert households.get_household(laptop, household, log=False).phone == "0000-22-2222"
    assert check_store(laptop).sound and check_store(office).sound


def test_importing_the_same_bundle_twice_changes_nothing(council, tmp_path):
    office, laptop, household, _ = council
    households.update_household(laptop, household, notes="二度目の取り込みの確認")
    exported, first = carry(laptop, office, tmp_path / "usb")
    second = import_paths(office, [exported.path])
    assert first.results[0].status == "applied"
    assert second.results[0].status == "already" and second.applied == 0


def test_a_laptops_first_bundle_does_not_send_the_office_its_own_changes(council, tmp_path):
    office, laptop, household, _ = council
    households.update_household(laptop, household, notes="ノートPCでの一件だけ")
    waiting = {d.name: d.waiting for d in devices.overview(laptop).devices}
    assert waiting["事務局"] == 1
    exported = export_bundle(laptop, tmp_path)
    assert exported.changes == 1


def test_joining_as_a_disabled_account_leaves_the_folder_empty(tmp_path):
    from shakyo_desk.domain.errors import AuthError
    from shakyo_desk.store.keyfile import FAST_KDF
    from shakyo_desk.store.services import accounts
    from tests.sync.council import PASSPHRASE

    office, _ = make_office(tmp_path)
    staff_id = accounts.add_account(office, "tanaka", "田中 一郎", "staff", PASSPHRASE, kdf=FAST_KDF)
    accounts.disable_account(office, staff_id)
    enrolment = tmp_path / "usb" / "enrolment.shakyo"
    enrolment.parent.mkdir()
    code = devices.add_device(office, "田中さんのノートPC", enrolment, kdf=FAST_KDF)
    root = tmp_path / "laptop"
    with pytest.raises(AuthError, match="無効"):
        devices.join(root, enrolment, code, "tanaka", PASSPHRASE, kdf=FAST_KDF)
    assert not root.exists()  # nothing half-made: the same folder can be used again at once
    laptop, _ = devices.join(root, enrolment, code, "admin", PASSPHRASE, kdf=FAST_KDF)
    try:
        assert laptop.actor.login == "admin" and check_store(laptop).sound
    finally:
        laptop.close()
        office.close()
