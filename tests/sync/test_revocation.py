"""After `device revoke`, nothing the revoked device signs is accepted whatever number it
declares; the files the office had imported from it before stay valid for everyone (issue 15)."""

from shakyo_desk.store.exchange.devices import revoke_device
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths
from shakyo_desk.store.services import contacts, districts, households
from tests.sync.council import enrol, make_office
from tests.sync.test_hostile_input import insider_bundle


def notes_of(store, household):
    return {c.seen_heard for c in contacts.list_contacts(store, household_id=household)}


def test_a_revoked_laptop_cannot_slip_in_a_bundle_under_an_old_number(tmp_path):
    office, _ = make_office(tmp_path)
    district = districts.add_district(office, "上町", "かみまち")
    household = households.add_household(office, district, "架空 上子")
    other = enrol(office, tmp_path, "laptop2")
    stolen = enrol(office, tmp_path, "laptop1")  # enrolled last: its bundles are for laptop2 too
    usb = tmp_path / "usb"
    usb.mkdir()
    try:
        contacts.add_contact(stolen, household_id=household, method="訪問", seen_heard="盗まれる前の訪問")
        before = export_bundle(stolen, usb)  # bundle 1: the office takes it; laptop2 has not seen it yet
        assert import_paths(office, [before.path]).results[0].status == "applied"
        revoke_device(office, "laptop1")
        assert import_paths(other, [export_bundle(office, usb).path]).results[0].status == "applied"  # new roster

        # The thief writes a bundle claiming number 1 of the laptop's epoch, as the office had accepted.
        for store in (office, other):
            forged = insider_bundle(stolen, store, usb / store.layout.root.name, "forged.bundle", seq=1)
            [result] = import_paths(store, [forged]).results
            assert (result.status, result.reason) == ("refused", "revoked"), result.message
            assert "利用停止" in result.message
        households.update_household(stolen, household, notes="停止後の変更")
        later = export_bundle(stolen, usb)
        for store in (office, other):
            assert import_paths(store, [later.path]).results[0].reason == "revoked"
            assert households.get_household(store, household, log=False).notes == ""

        # The file the office had taken before the revocation still reaches laptop2.
        [kept] = import_paths(other, [before.path]).results
        assert kept.status == "applied" and "盗まれる前の訪問" in notes_of(other, household)
    finally:
        for store in (office, stolen, other):
            store.close()
