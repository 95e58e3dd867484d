import pytest

from shakyo_desk.domain.errors import InvalidInput, PermissionDenied, StoreError
from shakyo_desk.domain.roles import Role
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import accounts, council, districts, households
from tests.store.conftest import login_as


@pytest.fixture
def two_districts(store):
    return districts.add_district(store, "上町"), districts.add_district(store, "下町")


def test_staff_sees_and_edits_only_own_districts(store, two_districts):
    upper, lower = two_districts
    mine = households.add_household(store, upper, "上町 住人")
    theirs = households.add_household(store, lower, "下町 住人")
    staff = login_as(store, "staff1", Role.STAFF, [upper])
    assert [h.id for h in households.list_households(staff)] == [mine]
    households.update_household(staff, mine, notes="訪問済み")
    with pytest.raises(PermissionDenied):
        households.update_household(staff, theirs, notes="越権")
    with pytest.raises(PermissionDenied):
        households.get_household(staff, theirs)
    with pytest.raises(PermissionDenied):
        households.update_household(staff, mine, district_id=lower)
    staff.close()


def test_reporter_sees_no_households(store, two_districts):
    households.add_household(store, two_districts[0], "上町 住人")
    reporter = login_as(store, "care1", Role.REPORTER)
    # A reporter's session has no database at all (issue 16): every household service refuses.
    with pytest.raises(StoreError):
        households.list_households(reporter)
    with pytest.raises((PermissionDenied, StoreError)):
        households.add_household(reporter, two_districts[0], "新しい 世帯")
    reporter.close()


def test_only_admin_manages_accounts_and_settings(store):
    coordinator = login_as(store, "coord1", Role.COORDINATOR)
    with pytest.raises(PermissionDenied):
        accounts.add_account(coordinator, "x1", "x", "staff", "passphrase x", kdf=FAST_KDF)
    with pytest.raises(PermissionDenied):
        council.update_settings(coordinator, idle_lock_minutes=1)
    assert [a.login for a in accounts.list_accounts(coordinator)] == ["coord1"]
    coordinator.close()


def test_the_last_admin_stays(store):
    with pytest.raises(InvalidInput):
        accounts.update_account(store, store.actor.staff_id, role="staff")
    with pytest.raises(InvalidInput):
        accounts.disable_account(store, store.actor.staff_id)


def test_a_district_in_charge_covers_its_subdistricts(store):
    area = districts.add_district(store, "北地区")
    hamlet = districts.add_district(store, "奥沢", parent_id=area)
    other = districts.add_district(store, "南地区")
    inside = households.add_household(store, hamlet, "奥沢 住人")
    households.add_household(store, other, "南 住人")
    staff = login_as(store, "staff2", Role.STAFF, [area])
    assert [h.id for h in households.list_households(staff)] == [inside]
    households.update_household(staff, inside, notes="訪問済み")
    staff.close()


def test_save_refuses_when_someone_saved_in_between(store):
    district = districts.add_district(store, "上町")
    household_id = households.add_household(store, district, "山田 花子")
    opened = households.get_household(store, household_id, log=False)
    members = [{"id": m.id, "name": m.name} for m in opened.members]
    households.update_household(store, household_id, phone="0000-00-0003")  # someone else's save
    with pytest.raises(InvalidInput) as err:
        households.save_household(store, household_id, {"notes": "古い画面から"}, members, opened.version)
    assert "開き直し" in err.value.message
    assert households.get_household(store, household_id, log=False).notes == ""
    fresh = households.get_household(store, household_id, log=False)
    households.save_household(store, household_id, {"notes": "最新"}, members, fresh.version)
    assert households.get_household(store, household_id, log=False).notes == "最新"
