"""Owner-only files (issue 16): everything the app writes is 0600, every folder it makes 0700.

One run through what a council does with real files under one temporary folder, with the
ordinary umask 022 (under which a plain ``open`` makes a world-readable 0644 file): a store,
records, an enrolment file and a joined laptop, a bundle and a hostile file imported (staging
and quarantine), a shared mailbox, a backup, the handout and 訪問予定リスト PDFs, CSVs, the
window settings, crash reports (a fault and a hard crash), and a store left by an older version
with loose modes that is upgraded at unlock. Then every file and folder under the root is
walked; files that the app removes again (staged copies, the backup's snapshot, temporary files)
are looked at just before they go. Modes do not exist on Windows."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from shakyo_desk import crash_report
from shakyo_desk.domain import clock, faults
from shakyo_desk.store.keyfile import FAST_KDF

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes; Windows uses the profile's ACL")

PASSPHRASE = "correct horse 1"
FIXTURES = Path(__file__).parent / "fixtures" / "stores"
FIXTURE_PASSPHRASE = "fixture passphrase"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def chosen_folder(path: Path) -> Path:
    """A folder the person picks (a USB stick, the desktop): theirs, not ours; made private here
    so that only what the app writes decides the result."""
    path.mkdir(mode=0o700)
    return path


def loose_modes(root: Path, seen_removed: dict[Path, int]) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            path = Path(folder) / name
            if mode(path) != 0o700:
                found.append(f"{path.relative_to(root)}/ {oct(mode(path))}")
        for name in files:
            path = Path(folder) / name
            if mode(path) != 0o600:
                found.append(f"{path.relative_to(root)} {oct(mode(path))}")
    for path, removed_mode in seen_removed.items():
        if removed_mode != 0o600:
            found.append(f"{path.relative_to(root)} {oct(removed_mode)} (removed afterwards)")
    return sorted(found)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def removed_files(tmp_path, monkeypatch):
    """The mode of every file under tmp_path at the moment the app removes it."""
    seen: dict[Path, int] = {}
    real_unlink = os.unlink

    def watching_unlink(path, *args, **kwargs):
        p = Path(os.fsdecode(path)).absolute()
        if p.is_relative_to(tmp_path) and p.is_file() and not p.is_symlink():
            seen[p] = mode(p)
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", watching_unlink)
    monkeypatch.setattr(os, "remove", watching_unlink)
    return seen


def test_every_file_and_folder_the_app_writes_is_owner_only(tmp_path, umask_022, removed_files):
    from PySide6.QtCore import QSettings

    from shakyo_desk.reports import audit_csv, stats_csv
    from shakyo_desk.reports.handouts import export_handout
    from shakyo_desk.reports.route_pdf import write_route_pdf
    from shakyo_desk.store import backup
    from shakyo_desk.store.exchange import devices, mailbox
    from shakyo_desk.store.exchange.exporting import export_bundle
    from shakyo_desk.store.exchange.importing import import_paths, quarantine_list
    from shakyo_desk.store.services import conferences, contacts, districts, households, sheets, stats
    from shakyo_desk.store.services.watch import due_list
    from shakyo_desk.store.store import create_store, unlock
    from shakyo_desk.ui.uisettings import UiSettings

    root = tmp_path
    today = clock.today()
    office, kit = create_store(root / "office", "テスト村社会福祉協議会", "admin", PASSPHRASE, kdf=FAST_KDF)
    laptop = old = restored = None
    try:
        # records
        district = districts.add_district(office, "上町", "かみまち")
        household = households.add_household(office, district, "架空 花子", "カクウ ハナコ", address="架空村上町1",
                                             phone="0000-11-2222")
        contacts.add_contact(office, household_id=household, method="訪問", contact_date=today,
                             seen_heard="玄関先で話した。", next_contact_date=today)
        sheets.file_sheet(office, household_id=household, concerns=["孤立"], urgency="見守り", noticed_on=today)

        # an enrolment file and a laptop joined from it
        usb = chosen_folder(root / "usb")
        code = devices.add_device(office, "ノートPC", usb / "enrolment.shakyo", kdf=FAST_KDF)
        laptop, _ = devices.join(root / "laptop", usb / "enrolment.shakyo", code, "admin", PASSPHRASE, kdf=FAST_KDF)

        # a bundle and a hostile file imported into the laptop: staging, then quarantine
        bundle = export_bundle(office, usb).path
        hostile = usb / "hostile.bundle"
        hostile.touch(mode=0o600)
        hostile.write_bytes(b"age-encryption.org/v1\n" + os.urandom(512))
        report = import_paths(laptop, [bundle, hostile])
        assert [r.status for r in report.results][0] != "refused" and report.refused
        assert quarantine_list(laptop)[0]["kept_as"]

        # a shared folder used as a mailbox
        mailbox.exchange(office, chosen_folder(root / "share"))

        # a backup on a stick, restored on a new PC
        backup.create_backup(office, usb / "backup.shakyo-backup")
        backup.restore_backup(usb / "backup.shakyo-backup", root / "restored", str(kit))
        restored = unlock(root / "restored", "admin", PASSPHRASE)

        # PDFs and CSVs the person exports on purpose
        exports = chosen_folder(root / "exports")
        meeting = conferences.add_conference(office, "support", today + timedelta(days=7),
                                             members=["架空 一郎/架空村役場", "架空 二郎/地域包括支援センター"],
                                             cases=[(household, "見守りの分担")])
        export_handout(office, meeting, exports / "handout.pdf")
        export_handout(office, meeting, chosen_folder(exports / "copies"), separate=True)
        write_route_pdf(exports / "route.pdf", "テスト村社会福祉協議会", today, due_list(office, today), "管理 太郎")
        fiscal_year = today.year if today.month >= 4 else today.year - 1
        stats_csv.export_csv(office, stats.yearly_figures(office, fiscal_year), exports / "stats.csv")
        audit_csv.export_csv(office, exports / "audit.csv")

        # the window settings (last login, last store folder)
        settings = UiSettings(QSettings(str(root / "settings" / "shakyo-desk.ini"), QSettings.Format.IniFormat))
        settings.set_last_login("admin")
        settings.set_last_store_dir(str(root / "office"))
        settings.q.sync()

        # crash reports: a fault the store layer survives, and a hard crash
        logs = root / "logs"
        previous = faults.install(lambda error, where: crash_report.write_report(error, folder=logs, where=where))
        try:
            try:
                raise RuntimeError("a fault inside one file of a run")
            except RuntimeError as error:
                assert faults.record(error, "test") is not None
        finally:
            faults.install(previous)
        crash = ("import sys, faulthandler; from pathlib import Path; from shakyo_desk import crash_report\n"
                 "crash_report.record_fatal_errors(Path(sys.argv[1])); faulthandler._sigsegv()\n")
        crashed = subprocess.run([sys.executable, "-c", crash, str(logs)], capture_output=True, timeout=120)
        assert crashed.returncode != 0 and list(logs.glob("crash-*-fatal.txt"))

        # a store left by an older version, world-readable, upgraded at unlock (a copy first)
        shutil.copytree(FIXTURES / "schema-0001", root / "old-store")
        for folder, _dirs, files in os.walk(root / "old-store"):
            os.chmod(folder, 0o755)
            for name in files:
                os.chmod(Path(folder) / name, 0o644)
        old = unlock(root / "old-store", "admin", FIXTURE_PASSPHRASE)
        assert list((root / "old-store" / "backups").glob("before-migration-*"))
        households.list_households(old)

        # while the stores are open: their -wal and -shm files exist too
        for folder in ("office", "laptop", "restored", "old-store"):
            assert (root / folder / "shakyo.db-wal").exists() and (root / folder / "shakyo.db-shm").exists()
        assert list((root / "laptop" / "quarantine").iterdir())
        assert any("staging" in p.parts for p in removed_files), "the staged copies were not seen"
        loose = loose_modes(root, removed_files)
        assert loose == [], "\n".join(loose)
    finally:
        for store in (office, laptop, old, restored):
            if store is not None and store.is_open:
                store.close()
    assert loose_modes(root, removed_files) == []
