"""Issue 16: on a district laptop, where staff unlock and no admin is at hand, a staff member
gives a reporter a key pair there (accounts.enable_reporter_here); the reporter then unlocks
on the laptop, hands on 把握シート, and sees what became of them after the next sync.

Real SQLCipher stores (an office made by `init`, laptops enrolled from it), real bundle files in
folders; the day is pinned by tests/conftest.py."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag

from shakyo_desk.domain.errors import AuthError, InvalidInput, PermissionDenied, StoreError
from shakyo_desk.store import keyfile as keyfile_module
from shakyo_desk.store import rekey
from shakyo_desk.store.exchange.importing import import_paths
from shakyo_desk.store.keyfile import FAST_KDF, KeyFile, entry_kind
from shakyo_desk.store.models import AuditLog, ChangeLog, ConcernSheet
from shakyo_desk.store.reporter import ReporterSession
from shakyo_desk.store.services import accounts, audit_log
from shakyo_desk.store.services.sheets import change_status, file_sheet, list_sheets
from shakyo_desk.store.store import unlock
from tests.sync.council import PASSPHRASE, enrol
from tests.sync.hostile import me
from tests.sync.test_drops_sync import COORD_PASS, Council

LAPTOP_PASS = "reporter on the laptop"


@pytest.fixture
def council(tmp_path):
    c = Council(tmp_path)
    yield c
    c.close()


def staff_laptop(council, name: str = "laptop1", login: str = "tanaka"):
    """A laptop joined and unlocked by a staff member; nobody has given the reporter a key there."""
    return council.laptop(name, login, reporter=False)


def audit_rows(store, action: str) -> list:
    with store.read() as s:
        return s.execute(sa.select(AuditLog.login, AuditLog.entity, AuditLog.entity_id, AuditLog.detail)
                         .where(AuditLog.action == action)).all()


def change_count(store) -> int:
    with store.read() as s:
        return s.execute(sa.select(sa.func.count()).select_from(ChangeLog)).scalar()


def test_staff_enable_a_reporter_on_a_laptop_who_files_a_sheet_that_reaches_the_office_and_hears_back(council):
    laptop = staff_laptop(council)
    with pytest.raises(AuthError):  # nobody can unlock here as the reporter yet
        unlock(laptop.layout.root, "rep", LAPTOP_PASS)
    assert [(a.id, a.login) for a in accounts.reporters_to_enable_here(laptop)] == [(council.rep_id, "rep")]
    changes = change_count(laptop)

    enabled = accounts.enable_reporter_here(laptop, council.rep_id, LAPTOP_PASS, kdf=FAST_KDF)
    assert enabled.display_name == "報告 次郎"
    assert accounts.reporters_to_enable_here(laptop) == []
    assert audit_rows(laptop, "account.reporter_enabled_here") == [
        ("tanaka", "staff", council.rep_id, {"login": "rep"})]
    assert change_count(laptop) == changes  # the key pair is this laptop's: nothing to sync
    assert "報告者" in audit_log.action_label("account.reporter_enabled_here")
    assert audit_log.action_group("account.reporter_enabled_here") == "account"
    catalogue = json.loads((laptop.layout.root / "dropbox" / "council.json").read_text("utf-8"))
    assert catalogue["concerns"]  # the form's categories are there before any council unlock

    reporter = unlock(laptop.layout.root, "rep", LAPTOP_PASS)
    assert isinstance(reporter, ReporterSession)
    try:
        sheet_id = file_sheet(reporter, household_hint="川沿いの一軒家", concerns=[reporter.concern_names()[0]],
                              urgency="早め", situation="郵便受けがあふれている")
    finally:
        reporter.close()

    bundle = council.export(laptop, "from-laptop")
    coordinator = council.coordinator()
    report = import_paths(coordinator, [bundle])
    assert not report.refused and any("1件受け付けました" in n for n in report.notices)
    with coordinator.read() as s:
        sheet = s.get(ConcernSheet, sheet_id)
        assert sheet.noticed_by == council.rep_id and sheet.created_by == council.rep_id
        assert sheet.household_hint == "川沿いの一軒家"
        authors = s.execute(sa.select(ChangeLog.staff_id).where(ChangeLog.entity_id == sheet_id)).scalars().all()
        vouched = s.execute(sa.select(AuditLog.detail).where(AuditLog.action == "dropbox.vouched")).scalars().all()
    assert authors == [council.rep_id]
    assert vouched == [{"device": me(laptop).device_id, "reporter": "rep"}]  # the office names the laptop
    change_status(coordinator, sheet_id, "確認中")

    assert not import_paths(laptop, [council.export(coordinator, "from-office")]).refused
    laptop.close()
    again = council.unlock(laptop.layout.root, "tanaka", PASSPHRASE)
    assert again.is_open
    reporter = unlock(laptop.layout.root, "rep", LAPTOP_PASS)
    try:
        assert [(s.id, s.status) for s in list_sheets(reporter)] == [(sheet_id, "確認中")]
    finally:
        reporter.close()


def test_the_reporters_key_on_the_laptop_never_opens_the_database(council):
    laptop = staff_laptop(council)
    accounts.enable_reporter_here(laptop, council.rep_id, LAPTOP_PASS, kdf=FAST_KDF)

    def check(keyfile: KeyFile) -> None:
        entry = keyfile.accounts["rep"]
        assert entry_kind(entry) == "pair" and entry["reporter"] is True and "sealed" not in entry
        assert "rep" not in (keyfile.holders or [])
        private = keyfile.open_private("rep", LAPTOP_PASS)  # the passphrase opens their private key only
        with pytest.raises(AuthError):
            keyfile.open_account("rep", LAPTOP_PASS)
        # none of the data key's seals in the file (the accounts', the recovery key's) opens with it
        seals = [(other["sealed"], keyfile._aad("account:" + login)) for login, other in keyfile.accounts.items()
                 if "sealed" in other] + [(keyfile.recovery["sealed"], keyfile._aad("recovery"))]
        assert len(seals) >= 2
        for sealed, aad in seals:
            with pytest.raises(InvalidTag):
                keyfile_module._unseal(private, sealed, aad)

    check(KeyFile.load(laptop.layout.key_file))
    reporter = unlock(laptop.layout.root, "rep", LAPTOP_PASS)
    try:
        with pytest.raises(StoreError), reporter.read():
            pass
    finally:
        reporter.close()

    rekey.rotate(laptop, set())  # a key rotation on the laptop carries them without the new key
    check(KeyFile.load(laptop.layout.key_file))
    reporter = unlock(laptop.layout.root, "rep", LAPTOP_PASS)
    assert isinstance(reporter, ReporterSession)
    reporter.close()


def test_a_coordinator_on_a_laptop_may_enable_a_reporter_too(council):
    laptop = council.laptop("laptop2", "coord", reporter=False)
    accounts.enable_reporter_here(laptop, "rep", LAPTOP_PASS, kdf=FAST_KDF)  # by login as well
    reporter = unlock(laptop.layout.root, "rep", LAPTOP_PASS)
    assert isinstance(reporter, ReporterSession)
    reporter.close()


def test_refused_at_the_office_for_anyone_but_an_admin(council):
    staff = council.unlock(council.office.layout.root, "sato", PASSPHRASE)
    coordinator = council.unlock(council.office.layout.root, "coord", COORD_PASS)
    for session in (staff, coordinator):
        with pytest.raises(PermissionDenied, match="事務局の端末では.*管理者に依頼してください"):
            accounts.enable_reporter_here(session, council.rep_id, LAPTOP_PASS, kdf=FAST_KDF)
        with pytest.raises(PermissionDenied, match="管理者に依頼"):
            accounts.reporters_to_enable_here(session)
    # an admin may (here the reporter already has a key pair: the office made the account)
    assert accounts.reporters_to_enable_here(council.office) == []
    with pytest.raises(InvalidInput, match="すでにロックを解除できます"):
        accounts.enable_reporter_here(council.office, council.rep_id, LAPTOP_PASS, kdf=FAST_KDF)
    assert audit_rows(council.office, "account.reporter_enabled_here") == []


def test_refused_for_a_council_member_a_disabled_reporter_twice_and_a_reporter(council):
    gone = accounts.add_account(council.office, "rep2", "退職 三郎", "reporter", "reporter two pass", kdf=FAST_KDF)
    accounts.disable_account(council.office, gone)
    laptop = staff_laptop(council)
    assert [a.login for a in accounts.reporters_to_enable_here(laptop)] == ["rep"]

    for staff_id in (council.coord_id, council.staff["suzuki"]):
        with pytest.raises(InvalidInput, match="報告者ではありません"):
            accounts.enable_reporter_here(laptop, staff_id, LAPTOP_PASS, kdf=FAST_KDF)
    with pytest.raises(InvalidInput, match="無効になっています"):
        accounts.enable_reporter_here(laptop, gone, LAPTOP_PASS, kdf=FAST_KDF)
    with pytest.raises(AuthError):
        unlock(laptop.layout.root, "rep2", LAPTOP_PASS)
    with pytest.raises(InvalidInput):  # a passphrase too short is refused before anything is written
        accounts.enable_reporter_here(laptop, council.rep_id, "short", kdf=FAST_KDF)

    accounts.enable_reporter_here(laptop, council.rep_id, LAPTOP_PASS, kdf=FAST_KDF)
    with pytest.raises(InvalidInput, match="すでにロックを解除できます.*パスフレーズの変更.*管理者に依頼"):
        accounts.enable_reporter_here(laptop, council.rep_id, "another passphrase", kdf=FAST_KDF)
    with pytest.raises(AuthError):  # the first passphrase stays
        KeyFile.load(laptop.layout.key_file).open_private("rep", "another passphrase")
    assert len(audit_rows(laptop, "account.reporter_enabled_here")) == 1

    reporter = unlock(laptop.layout.root, "rep", LAPTOP_PASS)
    try:
        with pytest.raises(PermissionDenied, match="報告者のアカウントでは"):
            accounts.enable_reporter_here(reporter, council.rep_id, "another passphrase", kdf=FAST_KDF)
    finally:
        reporter.close()


def test_light_key_derivation_is_refused_outside_the_test_suite(council, monkeypatch):
    laptop = staff_laptop(council)
    monkeypatch.delenv("SHAKYO_TEST_SUITE")
    with pytest.raises(InvalidInput):
        accounts.enable_reporter_here(laptop, council.rep_id, LAPTOP_PASS, kdf=FAST_KDF)
    assert "rep" not in KeyFile.load(laptop.layout.key_file).accounts


def test_a_laptop_joined_by_an_admin_lets_the_admin_enable_a_reporter(council):
    joined = enrol(council.office, council.root, "admin-laptop")  # the admin's own key pair there
    council.open.append(joined)
    accounts.enable_reporter_here(joined, council.rep_id, LAPTOP_PASS, kdf=FAST_KDF)
    reporter = unlock(joined.layout.root, "rep", LAPTOP_PASS)
    assert isinstance(reporter, ReporterSession)
    reporter.close()
