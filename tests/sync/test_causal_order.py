"""Changes that refer to records the receiving device does not hold yet.

Regression tests for what the convergence machine found (tests/sync/test_convergence.py): a
bundle's changes were taken origin by origin, so a visit recorded at the office to a
household made on laptop1 could be applied on laptop2 before laptop2 held the household —
the foreign key failed and the whole import stopped with an error. Now a bundle's changes
wait (parked, listed as a gap) until everything their sender held has arrived.
"""

from datetime import date

import pytest

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange import devices
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths
from shakyo_desk.store.models import District, Household
from shakyo_desk.store.services import contacts, districts, households
from tests.sync.council import carry, enrol, make_office

TODAY = date(2026, 11, 23)


def note(store, household, text):
    contacts.add_contact(store, household_id=household, contact_date=TODAY, seen_heard=text, today=TODAY)


def notes(store):
    return {c.seen_heard for c in contacts.list_contacts(store, limit=None)}


def stick(root, name):
    folder = root / name
    folder.mkdir()
    return folder


def holds(store, household_id) -> bool:
    with store.read() as s:
        return s.get(Household, household_id) is not None


@pytest.fixture
def council(tmp_path):
    office, _ = make_office(tmp_path)
    upper = districts.add_district(office, "上町", "かみまち")
    stores = [office]
    try:
        yield office, upper, stores, tmp_path
    finally:
        for store in stores:
            if store.is_open:
                store.close()


def test_a_bundle_made_for_another_laptop_waits_for_the_household_its_visit_refers_to(council):
    office, upper, stores, tmp_path = council
    laptop1 = enrol(office, tmp_path, "laptop1")
    laptop2 = enrol(office, tmp_path, "laptop2")
    stores += [laptop1, laptop2]
    carry(office, laptop1, tmp_path / "roster")  # laptop1 learns that laptop2 exists

    household = households.add_household(laptop1, upper, "架空 新子", "カクウ シンコ")
    carry(laptop1, office, tmp_path / "to-office", for_device="事務局")
    note(office, household, "事務局で記録した訪問")
    made_for_laptop1 = export_bundle(office, stick(tmp_path, "usb"), for_device="laptop1")

    # The stick goes to laptop2 instead: it does not hold the household yet.
    [result] = import_paths(laptop2, [made_for_laptop1.path]).results
    assert result.status == "applied" and result.applied == 0 and result.gaps
    assert not holds(laptop2, household) and "事務局で記録した訪問" not in notes(laptop2)
    assert devices.overview(laptop2).pending_ranges >= 1
    assert check_store(laptop2).sound, check_store(laptop2).problems

    # laptop1's own bundle brings the household; the parked visit follows it in.
    _, report = carry(laptop1, laptop2, tmp_path / "to-laptop2", for_device="laptop2")
    assert report.refused == []
    assert holds(laptop2, household) and "事務局で記録した訪問" in notes(laptop2)
    assert devices.overview(laptop2).pending_ranges == 0
    assert check_store(laptop2).sound, check_store(laptop2).problems


def test_a_district_laptops_visit_waits_for_the_household_from_the_office(council):
    """A district-limited laptop passes on only its own changes: its visit to a household the
    office created arrives at laptop2 without the household (the mailbox reads outboxes in
    name order, so this is the everyday case, not a misdelivered stick)."""
    office, upper, stores, tmp_path = council
    laptop2 = enrol(office, tmp_path, "laptop2")
    kamimachi = enrol(office, tmp_path, "kamimachi", districts=["上町"])
    stores += [laptop2, kamimachi]

    household = households.add_household(office, upper, "架空 上子", "カクウ カミコ")
    carry(office, kamimachi, tmp_path / "to-kamimachi", for_device="kamimachi")
    note(kamimachi, household, "上町のノートPCで記録")
    from_kamimachi = export_bundle(kamimachi, stick(tmp_path, "from-kamimachi"))

    [result] = import_paths(laptop2, [from_kamimachi.path]).results
    assert result.status == "applied" and result.gaps and not holds(laptop2, household)

    from_office = export_bundle(office, stick(tmp_path, "from-office"))
    report = import_paths(laptop2, [from_office.path])
    assert report.refused == []
    assert holds(laptop2, household) and "上町のノートPCで記録" in notes(laptop2)
    assert devices.overview(laptop2).pending_ranges == 0
    assert check_store(laptop2).sound, check_store(laptop2).problems


def test_parked_changes_still_wait_for_the_earlier_bundle_of_their_own_origin(council):
    """The ordinary gap: laptop1's bundle 2 reaches laptop2 before its bundle 1."""
    office, upper, stores, tmp_path = council
    household = households.add_household(office, upper, "架空 花子", "カクウ ハナコ")
    laptop1 = enrol(office, tmp_path, "laptop1")
    laptop2 = enrol(office, tmp_path, "laptop2")
    stores += [laptop1, laptop2]
    carry(office, laptop1, tmp_path / "roster")

    households.update_household(laptop1, household, phone="0000-11-1111")
    first, _ = carry(laptop1, office, tmp_path / "usb1", for_device="事務局")
    carry(office, laptop1, tmp_path / "back", for_device="laptop1")  # laptop1 learns the office holds it
    households.update_household(laptop1, household, address="架空村上町5")
    second = export_bundle(laptop1, stick(tmp_path, "usb2"), for_device="事務局")

    [early] = import_paths(laptop2, [second.path]).results
    assert early.status == "applied" and early.applied == 0
    assert any("前の同期ファイル" in gap for gap in early.gaps)
    assert households.get_household(laptop2, household, log=False).address == ""

    [late] = import_paths(laptop2, [first.path]).results
    assert late.status == "applied" and late.applied == 2  # its own change and the parked one
    shown = households.get_household(laptop2, household, log=False)
    assert (shown.phone, shown.address) == ("0000-11-1111", "架空村上町5")
    assert devices.overview(laptop2).pending_ranges == 0
    assert check_store(laptop2).sound, check_store(laptop2).problems


# ---- a household entering a district-limited laptop's districts ----------------------------


@pytest.fixture
def two_towns(council):
    office, upper, stores, tmp_path = council
    lower = districts.add_district(office, "下町", "しもまち")
    laptop2 = enrol(office, tmp_path, "laptop2")
    stores.append(laptop2)
    household = households.add_household(office, lower, "架空 下子", "カクウ シモコ", phone="0000-00-0001")
    note(office, household, "引っ越し前の訪問")
    # Work from another device on the household: its history has more than one origin.
    carry(office, laptop2, tmp_path / "to-laptop2")
    member = households.add_person(laptop2, household, "架空 下男")
    carry(laptop2, office, tmp_path / "from-laptop2", for_device="事務局")
    kamimachi = enrol(office, tmp_path, "kamimachi", districts=["上町"])
    stores.append(kamimachi)
    assert not holds(kamimachi, household)
    return office, kamimachi, upper, lower, household, member, tmp_path


def test_a_household_moved_into_a_district_laptops_districts_arrives_with_its_history(two_towns):
    office, kamimachi, upper, _, household, member, tmp_path = two_towns
    households.update_household(office, household, district_id=upper)
    note(office, household, "引っ越し後の訪問")
    _, report = carry(office, kamimachi, tmp_path / "moved", for_device="kamimachi")
    assert report.refused == [] and report.results[0].status == "applied"
    assert holds(kamimachi, household)
    shown = households.get_household(kamimachi, household, log=False)
    assert shown.phone == "0000-00-0001"
    assert {m.id for m in shown.members} >= {member}
    assert {"引っ越し前の訪問", "引っ越し後の訪問"} <= notes(kamimachi)
    assert check_store(kamimachi).sound, check_store(kamimachi).problems

    # And the laptop's work on it comes back; the next bundle does not send the history again.
    households.update_household(kamimachi, household, phone="0000-00-0002")
    carry(kamimachi, office, tmp_path / "back", for_device="事務局")
    assert households.get_household(office, household, log=False).phone == "0000-00-0002"
    again, report = carry(office, kamimachi, tmp_path / "again", for_device="kamimachi")
    assert report.refused == [] and again.changes == 0
    assert check_store(office).sound and check_store(kamimachi).sound


def test_a_district_moved_under_a_laptops_district_brings_its_households(two_towns):
    office, kamimachi, upper, lower, household, member, tmp_path = two_towns
    with office.write() as w:  # (no screen moves a district yet; the one write path does)
        w.update(District, lower, {"parent_id": upper})
    note(office, household, "地区の見直し後の訪問")
    _, report = carry(office, kamimachi, tmp_path / "moved", for_device="kamimachi")
    assert report.refused == []
    assert holds(kamimachi, household)
    assert {"引っ越し前の訪問", "地区の見直し後の訪問"} <= notes(kamimachi)
    assert member in {m.id for m in households.get_household(kamimachi, household, log=False).members}
    assert check_store(kamimachi).sound, check_store(kamimachi).problems


def test_only_the_office_writes_for_a_district_limited_laptop_so_re_entry_brings_everything(council):
    """The office moves a household out of 上町 and records a visit there; laptop1, not
    knowing, moves it out and back. If laptop1 could send its moves straight to kamimachi, no
    move would be new to kamimachi when the office later exports, and the visit — which
    kamimachi's knowledge passed while the household was outside its districts — would never
    be sent. So only the office (which holds every household's history) writes bundles for a
    district-limited laptop; laptop1's attempt is refused and the office's bundle carries it."""
    office, upper, stores, tmp_path = council
    lower = districts.add_district(office, "下町", "しもまち")
    household = households.add_household(office, upper, "架空 上子", "カクウ カミコ")
    laptop1 = enrol(office, tmp_path, "laptop1")
    kamimachi = enrol(office, tmp_path, "kamimachi", districts=["上町"])
    stores += [laptop1, kamimachi]
    carry(office, laptop1, tmp_path / "roster")

    households.update_household(office, household, district_id=lower)
    note(office, household, "下町にいる間の訪問")
    carry(office, kamimachi, tmp_path / "a", for_device="kamimachi")
    households.update_household(laptop1, household, district_id=lower)
    households.update_household(laptop1, household, district_id=upper)
    (tmp_path / "b").mkdir()
    with pytest.raises(InvalidInput, match="事務局の端末から"):
        export_bundle(laptop1, tmp_path / "b", for_device="kamimachi")
    carry(kamimachi, office, tmp_path / "c", for_device="事務局")
    carry(laptop1, office, tmp_path / "d", for_device="事務局")
    assert households.get_household(office, household, log=False).district_id == upper
    carry(office, kamimachi, tmp_path / "e", for_device="kamimachi")
    assert "下町にいる間の訪問" in notes(kamimachi)
