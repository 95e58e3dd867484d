"""An enrolment file is single-use: a successful join overwrites it with a used marker, and
two installations joined from copies of one file (copied before the first join) never lose
each other's records — on real stores, real enrolment files and real bundles."""

import errno
import pathlib
import shutil
from datetime import date

import pytest
import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange import devices
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import AuditLog, DeviceState
from shakyo_desk.store.services import contacts, districts, households
from shakyo_desk.sync import enrolment
from tests.sync.council import PASSPHRASE, make_office

TODAY = date(2026, 11, 23)


@pytest.fixture
def office(tmp_path):
    store, _ = make_office(tmp_path)
    yield store
    store.close()


@pytest.fixture
def household(office):
    up = districts.add_district(office, "上町", "かみまち")
    return households.add_household(office, up, "架空 上子", address="架空村上町1")


@pytest.fixture
def stick(tmp_path):
    folder = tmp_path / "usb"
    folder.mkdir()
    return folder


def audit(store, action):
    with store.read() as s:
        return [row.detail for row in s.execute(sa.select(AuditLog).where(AuditLog.action == action)).scalars()]


def device_state(store):
    with store.read() as s:
        row = s.get(DeviceState, 1)
        return row.device_id, row.epoch, row.age_identity


def note(store, household, text):
    contacts.add_contact(store, household_id=household, contact_date=date(2026, 11, 20), seen_heard=text, today=TODAY)


def notes_of(store, household):
    return {c.seen_heard for c in contacts.list_contacts(store, household_id=household)}


def test_a_join_uses_the_file_up_and_a_second_join_says_when_and_for_which_device(office, stick, tmp_path):
    path = stick / "tanaka.shakyo"
    code = devices.add_device(office, "田中さんのノートPC", path, kdf=FAST_KDF)
    joined = devices.join(tmp_path / "laptop", path, code, "admin", PASSPHRASE, kdf=FAST_KDF)
    laptop, _ = joined
    try:
        assert joined.file_used and joined.warning is None
        marker = path.read_bytes()
        assert marker.startswith(enrolment.USED_MAGIC) and len(marker) < 1024
        # Nothing secret is left on the stick: not the keys, not the encrypted snapshot.
        _, _, age_identity = device_state(laptop)
        assert enrolment.MAGIC not in marker and age_identity.encode() not in marker
        assert "田中さんのノートPC" in marker.decode("utf-8")
        assert not list(stick.glob("*.partial"))

        # The new store says which enrolment it was made from; the office said which it issued.
        [issued] = audit(office, "device.add")
        [made] = audit(laptop, "device.join")
        assert made["enrolment"] == issued["enrolment"] and made["epoch"] > 1
        assert audit(laptop, "device.enrolment_file") == [{"enrolment": issued["enrolment"], "used": True}]
        assert check_store(laptop).sound, check_store(laptop).problems
    finally:
        laptop.close()

    with pytest.raises(InvalidInput) as refused:
        devices.join(tmp_path / "second", path, code, "admin", PASSPHRASE, kdf=FAST_KDF)
    message = refused.value.message
    assert f"{format_wareki(clock.today())}に端末「田中さんのノートPC」の登録に使われた" in message
    assert "もう使えません" in message and "端末の追加" in message
    assert not (tmp_path / "second").exists()


def test_a_file_that_cannot_be_overwritten_still_joins_and_asks_to_delete_it(office, stick, tmp_path, monkeypatch):
    path = stick / "tanaka.shakyo"
    code = devices.add_device(office, "田中さんのノートPC", path, kdf=FAST_KDF)
    original = path.read_bytes()

    # A write-protected stick (the tests run as root, who may write anywhere: refuse it here).
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    real_unlink = pathlib.Path.unlink

    def unlink(self, *args, **kwargs):
        if self.parent == stick:
            read_only()
        return real_unlink(self, *args, **kwargs)

    monkeypatch.setattr(devices, "write_atomic", read_only)
    monkeypatch.setattr(pathlib.Path, "unlink", unlink)
    joined = devices.join(tmp_path / "laptop", path, code, "admin", PASSPHRASE, kdf=FAST_KDF)
    laptop, _ = joined
    try:
        assert not joined.file_used
        assert str(path) in joined.warning and "今すぐ削除してください" in joined.warning
        assert "書き込み禁止" in joined.warning and "Read-only" not in joined.warning  # the cause, in Japanese
        assert path.read_bytes() == original
        assert audit(laptop, "device.enrolment_file")[0]["used"] is False
        assert check_store(laptop).sound
    finally:
        laptop.close()


def test_a_file_with_no_room_for_the_marker_is_removed_instead(office, stick, tmp_path, monkeypatch):
    path = stick / "tanaka.shakyo"
    code = devices.add_device(office, "田中さんのノートPC", path, kdf=FAST_KDF)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(devices, "write_atomic", full)
    joined = devices.join(tmp_path / "laptop", path, code, "admin", PASSPHRASE, kdf=FAST_KDF)
    joined.store.close()
    assert joined.file_used and joined.warning is None and not path.exists()


def test_two_installations_joined_from_copies_of_one_file_lose_nothing(office, household, stick, tmp_path):
    """Someone copied the enrolment file before the first join and joined both copies. The
    two installations share a device id and keys. Before joins started at a random epoch both
    wrote (device, 1, 1): the office refused the second laptop's bundle as a forked chain and
    its visit never arrived anywhere, while `check` found nothing."""
    path = stick / "laptop1.shakyo"
    code = devices.add_device(office, "laptop1", path, kdf=FAST_KDF)
    copy = tmp_path / "desktop" / "laptop1.shakyo"
    copy.parent.mkdir()
    shutil.copyfile(path, copy)
    first, _ = devices.join(tmp_path / "first", path, code, "admin", PASSPHRASE, kdf=FAST_KDF)
    second, _ = devices.join(tmp_path / "second", copy, code, "admin", PASSPHRASE, kdf=FAST_KDF)
    laptops = (first, second)
    try:
        (device_a, epoch_a, _), (device_b, epoch_b, _) = device_state(first), device_state(second)
        assert device_a == device_b  # one identity (a clone) ...

        note(first, household, "1台目で記録した訪問")
        note(second, household, "2台目で記録した訪問")
        for name, laptop in (("to-office-1", first), ("to-office-2", second)):
            (tmp_path / name).mkdir()
            exported = export_bundle(laptop, tmp_path / name)
            [result] = import_paths(office, [exported.path]).results
            assert result.status == "applied", result.message
        assert {"1台目で記録した訪問", "2台目で記録した訪問"} <= notes_of(office, household)

        # A full exchange from the office: each copy now holds the other's visit.
        (tmp_path / "from-office").mkdir()
        whole = export_bundle(office, tmp_path / "from-office", full=True)
        for laptop in laptops:
            [result] = import_paths(laptop, [whole.path]).results
            assert result.status == "applied", result.message
            assert {"1台目で記録した訪問", "2台目で記録した訪問"} <= notes_of(laptop, household)
        for store in (office, *laptops):
            report = check_store(store)
            assert report.sound, report.problems
        assert epoch_a != epoch_b  # ... but two epochs: never the same (device, epoch, seq)
    finally:
        for laptop in laptops:
            laptop.close()
