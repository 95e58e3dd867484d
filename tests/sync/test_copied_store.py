"""A copied data folder used beside the original (issue 15, "Clones lose nothing"): both copies
share a device id, an epoch and their counters, and write different changes under the same
(device, epoch, seq). Every record made on either copy must reach every device, whatever the
order of arrival, and the clone must be told (import summary, audit) and checked (`check`)."""

import shutil
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange import conflicts, devices
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths
from shakyo_desk.store.exchange.mailbox import exchange
from shakyo_desk.store.models import AuditLog
from shakyo_desk.store.services import contacts, districts, households
from shakyo_desk.store.store import unlock
from tests.sync.council import PASSPHRASE, enrol, make_office

TODAY = date(2026, 11, 23)


def visit(store, household, text):
    contacts.add_contact(store, household_id=household, contact_date=date(2026, 11, 20), seen_heard=text, today=TODAY)


def visits(store, household):
    return {c.seen_heard for c in contacts.list_contacts(store, household_id=household)}


def note_values(store, household):
    """The household's notes and, when they are in conflict, every competing value."""
    shown = households.get_household(store, household, log=False).notes
    found = {shown}
    for c in conflicts.list_conflicts(store, household):
        if c.field == "notes":
            found |= {choice.value for choice in c.choices}
    return found


def audit_actions(store, action):
    with store.read() as s:
        return [r.detail for r in s.execute(sa.select(AuditLog.detail).where(AuditLog.action == action))]


class Stick:
    """Numbered folders: every export goes into a fresh one, so nothing is overwritten."""

    def __init__(self, root: Path):
        self.root, self.n = root, 0

    def export(self, store, **options):
        self.n += 1
        folder = self.root / f"stick-{self.n:03d}"
        folder.mkdir(parents=True)
        return export_bundle(store, folder, **options)


def full_exchange(stick, office, laptops, rounds=3):
    """Every laptop to the office and back, a few times over: delta bundles only."""
    reports = []
    for _ in range(rounds):
        for laptop in laptops:
            reports += import_paths(office, [stick.export(laptop).path]).results
        out = stick.export(office)
        for laptop in laptops:
            reports += import_paths(laptop, [out.path]).results
    return reports


@pytest.fixture
def office(tmp_path):
    store, _ = make_office(tmp_path)
    yield store
    store.close()


@pytest.fixture
def household(office):
    up = districts.add_district(office, "上町", "かみまち")
    return households.add_household(office, up, "架空 上子", address="架空村上町1", notes="最初のメモ")


def copied_laptop(office, tmp_path, name="laptop1"):
    """A laptop enrolled from the office and holding the household, then its closed store
    folder copied (as when moving to a new PC) and both copies unlocked."""
    laptop = enrol(office, tmp_path, name)
    root = laptop.layout.root
    laptop.close()
    shutil.copytree(root, tmp_path / f"{name}-copy")
    return unlock(root, "admin", PASSPHRASE), unlock(tmp_path / f"{name}-copy", "admin", PASSPHRASE)


@pytest.mark.parametrize("copy_first", [False, True], ids=["original-first", "copy-first"])
def test_both_copies_records_reach_every_device(office, household, tmp_path, copy_first):
    original, copy = copied_laptop(office, tmp_path)
    other = enrol(office, tmp_path, "laptop2")
    stick = Stick(tmp_path / "usb")
    everyone = (office, original, copy, other)
    try:
        visit(original, household, "元の端末で記録した訪問")
        households.update_household(original, household, notes="元の端末で書いたメモ")
        visit(copy, household, "複製した端末で記録した訪問")
        households.update_household(copy, household, notes="複製した端末で書いたメモ")

        first, second = (copy, original) if copy_first else (original, copy)
        one, two = stick.export(first), stick.export(second)
        [a] = import_paths(office, [one.path]).results
        [b] = import_paths(office, [two.path]).results
        assert a.status == "applied" and b.status == "applied", (a.message, b.message)
        assert b.clone_detected  # the second copy's bundle forks the laptop's chain
        assert b.clone_of == b.sender and f"端末「{b.sender}」が二か所で使われています" in b.clone_notice
        assert audit_actions(office, "sync.clone_detected")
        quarantined = [q for q in __import__("shakyo_desk.store.exchange.importing", fromlist=["x"])
                       .quarantine_list(office) if q["reason"] == "clone"]
        assert len(quarantined) == 1

        reports = full_exchange(stick, office, (original, copy, other))
        assert not [r for r in reports if r.status == "refused"], [r.message for r in reports if r.status == "refused"]
        assert any(r.clone_reissued for r in reports)
        for store in everyone:
            assert {"元の端末で記録した訪問", "複製した端末で記録した訪問"} <= visits(store, household)
            assert {"元の端末で書いたメモ", "複製した端末で書いたメモ"} <= note_values(store, household)
            report = check_store(store)
            assert report.sound, report.problems
        # Identical everywhere: the same rows and the same open questions.
        states = [(sorted(visits(s, household)), sorted(note_values(s, household)),
                   households.get_household(s, household, log=False).notes,
                   sorted(c.id for c in conflicts.list_conflicts(s))) for s in everyone]
        assert all(state == states[0] for state in states), states
        epochs = {devices.overview(s).epoch for s in (original, copy)}
        assert len(epochs) == 2
        for store in (original, copy):
            assert audit_actions(store, "sync.clone_reissued")
    finally:
        for store in (original, copy, other):
            store.close()


def test_a_full_bundle_from_the_office_brings_each_copy_everything(office, household, tmp_path):
    original, copy = copied_laptop(office, tmp_path)
    stick = Stick(tmp_path / "usb")
    try:
        visit(original, household, "元の端末で記録した訪問")
        visit(copy, household, "複製した端末で記録した訪問")
        for laptop in (original, copy):
            import_paths(office, [stick.export(laptop).path])
        for _ in range(2):
            whole = stick.export(office, full=True)
            for laptop in (original, copy):
                import_paths(laptop, [whole.path])
                import_paths(office, [stick.export(laptop, full=True).path])
        whole = stick.export(office, full=True)
        for store in (office, original, copy):
            if store is not office:
                import_paths(store, [whole.path])
            assert {"元の端末で記録した訪問", "複製した端末で記録した訪問"} <= visits(store, household)
            assert check_store(store).sound, check_store(store).problems
    finally:
        original.close()
        copy.close()


def test_check_reports_a_clone_not_yet_resolved(office, household, tmp_path):
    original, copy = copied_laptop(office, tmp_path)
    stick = Stick(tmp_path / "usb")
    try:
        visit(original, household, "元の端末で記録した訪問")
        visit(copy, household, "複製した端末で記録した訪問")
        for laptop in (original, copy):
            import_paths(office, [stick.export(laptop).path])
        report = check_store(office)
        assert any("複製" in p for p in report.problems), report.problems
    finally:
        original.close()
        copy.close()


def _mailbox_rounds(office, original, copy, shared, rounds=4):
    for _ in range(rounds):
        for store in (original, office, copy, office):
            exchange(store, shared)


def test_copies_in_a_shared_folder(office, household, tmp_path):
    """Two copies write into one outbox under the same file names (same device, epoch and
    number), the later file replacing the earlier. A run skips a file taken before only while
    its name, size and modification time are unchanged (sync_mailbox_file), so the replacement
    is opened: the clone is found and resolved through the mailbox alone."""
    original, copy = copied_laptop(office, tmp_path)
    shared = tmp_path / "share"
    shared.mkdir()
    try:
        visit(original, household, "元の端末で記録した訪問")
        visit(copy, household, "複製した端末で記録した訪問")
        _mailbox_rounds(office, original, copy, shared)
        for store in (office, original, copy):
            assert {"元の端末で記録した訪問", "複製した端末で記録した訪問"} <= visits(store, household)
            assert check_store(store).sound, check_store(store).problems
    finally:
        original.close()
        copy.close()


def test_copies_in_a_shared_folder_without_help(office, household, tmp_path):
    original, copy = copied_laptop(office, tmp_path)
    shared = tmp_path / "share"
    shared.mkdir()
    try:
        visit(original, household, "元の端末で記録した訪問")
        visit(copy, household, "複製した端末で記録した訪問")
        _mailbox_rounds(office, original, copy, shared)
        assert "複製した端末で記録した訪問" in visits(office, household)
    finally:
        original.close()
        copy.close()


def test_the_mailbox_skips_a_file_taken_before_while_name_size_and_time_are_unchanged(office, household, tmp_path):
    """sync_mailbox_file: a file taken is not opened again while unchanged; the same name with
    another size or time is (a replay stays 'already'); a file gone is forgotten; a name carried
    over from before schema 0010 (no size, no time) is skipped once and its mark kept."""
    import os

    from shakyo_desk.store.models import SyncMailboxFile

    def remembered(store):
        with store.read() as s:
            return {r.file_name: (r.size, r.mtime_ns) for r in s.execute(sa.select(SyncMailboxFile.__table__))}

    laptop = enrol(office, tmp_path, "laptop1")
    shared = tmp_path / "share"
    shared.mkdir()
    try:
        visit(laptop, household, "ノートPCで記録した訪問")
        bundle = exchange(laptop, shared).exported[0].path
        first = exchange(office, shared)
        assert [(r.file, r.status) for r in first.imported.results] == [(bundle.name, "applied")]
        stat = bundle.stat()
        assert remembered(office) == {bundle.name: (stat.st_size, stat.st_mtime_ns)}
        assert [r.file for r in exchange(office, shared).imported.results] == []
        # The same name, another modification time (a file-sync client rewrote it): opened again.
        os.utime(bundle, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        again = exchange(office, shared)
        assert [(r.file, r.status) for r in again.imported.results] == [(bundle.name, "already")]
        assert remembered(office)[bundle.name] == (stat.st_size, stat.st_mtime_ns + 1_000_000_000)
        assert [r.file for r in exchange(office, shared).imported.results] == []
        # Carried over from before 0010: skipped, and from then on remembered with its mark.
        with office.write() as w:
            w.conn.execute(SyncMailboxFile.__table__.update().values(size=None, mtime_ns=None))
        assert [r.file for r in exchange(office, shared).imported.results] == []
        assert remembered(office)[bundle.name] == (bundle.stat().st_size, bundle.stat().st_mtime_ns)
        bundle.unlink()
        exchange(office, shared)
        assert bundle.name not in remembered(office)
    finally:
        laptop.close()


def test_a_restored_laptop_gets_back_what_it_wrote_after_its_backup(office, household, tmp_path):
    """Restoring a backup starts a new epoch; the work the laptop did after that backup had
    reached the office. The office used to count every change under the laptop's id as held
    by the laptop, so its delta bundles never brought that work back (only --full did)."""
    from shakyo_desk.store import backup

    laptop = enrol(office, tmp_path, "laptop1")
    stick = Stick(tmp_path / "usb")
    saved = tmp_path / "laptop1.shakyo-backup"
    backup.create_backup(laptop, saved)
    visit(laptop, household, "バックアップの後に記録した訪問")
    import_paths(office, [stick.export(laptop).path])
    laptop.close()
    result = backup.restore_with_passphrase(saved, tmp_path / "restored", "admin", PASSPHRASE)
    restored = unlock(result.root, "admin", PASSPHRASE)
    try:
        assert "バックアップの後に記録した訪問" not in visits(restored, household)
        full_exchange(stick, office, (restored,), rounds=2)
        assert "バックアップの後に記録した訪問" in visits(restored, household)
        visit(restored, household, "復元した後の訪問")
        full_exchange(stick, office, (restored,), rounds=1)
        assert "復元した後の訪問" in visits(office, household)
        for store in (office, restored):
            assert check_store(store).sound, check_store(store).problems
    finally:
        restored.close()
