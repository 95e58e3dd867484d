"""The import pipeline refuses bad input, names the reason, changes nothing, and lists it."""

import errno

import pytest

from shakyo_desk.domain import safe_file
from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths, quarantine_list
from shakyo_desk.store.services import districts, households
from tests.sync.council import enrol, make_office


@pytest.fixture
def council(tmp_path):
    office, _ = make_office(tmp_path)
    district = districts.add_district(office, "上町", "かみまち")
    household = households.add_household(office, district, "架空 花子")
    laptop = enrol(office, tmp_path, "laptop1")
    usb = tmp_path / "usb"
    usb.mkdir()
    yield office, laptop, household, usb
    office.close()
    laptop.close()


def state(store, household):
    return households.get_household(store, household, log=False).notes, check_store(store).counts["changes"]


def test_a_stick_pulled_during_import_changes_nothing(council, monkeypatch):
    office, laptop, household, usb = council
    households.update_household(laptop, household, notes="抜かれたUSBの確認")
    exported = export_bundle(laptop, usb)
    before = state(office, household)

    def pulled(src, dst, *a, **k):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(safe_file, "copy_private", pulled)  # the copy into staging
    [result] = import_paths(office, [exported.path]).results
    assert result.status == "refused" and result.reason == "read"
    assert "USBメモリが抜けていないか" in result.message
    assert state(office, household) == before
    monkeypatch.undo()
    [again] = import_paths(office, [exported.path]).results  # the same file, stick back in
    assert again.status == "applied"
    assert state(office, household)[0] == "抜かれたUSBの確認"


def test_a_bundle_of_another_council_is_refused_and_quarantined(council, tmp_path):
    office, _, household, usb = council
    other, _ = make_office(tmp_path / "other")
    try:
        other_laptop = enrol(other, tmp_path / "other", "laptop9")
        other_laptop.close()
        foreign = export_bundle(other, usb)
    finally:
        other.close()
    before = state(office, household)
    [result] = import_paths(office, [foreign.path]).results
    assert result.status == "refused" and result.reason == "decrypt"
    assert state(office, household) == before
    [listed] = quarantine_list(office)
    assert listed["file_name"] == foreign.path.name and listed["reason"] == "decrypt"
    assert (office.layout.root / "quarantine" / listed["kept_as"]).read_bytes() == foreign.path.read_bytes()


def test_a_truncated_bundle_on_the_stick_is_refused(council):
    office, laptop, household, usb = council
    households.update_household(laptop, household, notes="途中で切れたファイル")
    exported = export_bundle(laptop, usb)
    data = exported.path.read_bytes()
    exported.path.write_bytes(data[: len(data) - 17])
    before = state(office, household)
    [result] = import_paths(office, [exported.path]).results
    assert result.status == "refused" and result.reason == "decrypt"
    assert state(office, household) == before
