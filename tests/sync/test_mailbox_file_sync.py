"""The shared-folder mailbox when the share is replicated by a file-sync engine (Syncthing, a cloud
drive client), on real stores: their temporary, lock and conflict files, bundles that have not
finished arriving, and two copies of one bundle (docs/sync-protocol.md, "Shared-folder mailbox")."""

import os
from datetime import date

import pytest

from shakyo_desk.domain import clock
from shakyo_desk.store.exchange import mailbox
from shakyo_desk.store.exchange.importing import import_paths, quarantine_list
from shakyo_desk.store.exchange.mailbox import SETTLE_SECONDS, exchange
from shakyo_desk.store.services import contacts
from tests.sync.council import office_with_laptop

TODAY = date(2026, 11, 23)


def note(store, household, text):
    contacts.add_contact(store, household_id=household, contact_date=date(2026, 11, 20), seen_heard=text, today=TODAY)


def notes_of(store, household):
    return [c.seen_heard for c in contacts.list_contacts(store, household_id=household)]


def modified(path, seconds_ago):
    """Set a file's modification time relative to the pinned clock."""
    at = clock.now().timestamp() - seconds_ago
    os.utime(path, (at, at))


@pytest.fixture
def council(tmp_path):
    shared = tmp_path / "share"
    shared.mkdir()
    with office_with_laptop(tmp_path) as (office, laptop, household):
        yield office, laptop, household, shared


def office_bundle(office, household, shared, text="事務局からのメモ"):
    note(office, household, text)
    run = exchange(office, shared)
    assert len(run.exported) == 1
    return run.exported[0].path


def test_temporary_and_lock_files_of_sync_clients_are_left_alone(council):
    office, laptop, household, shared = council
    bundle = office_bundle(office, household, shared)
    data = bundle.read_bytes()
    half = data[: len(data) // 2]
    outbox = bundle.parent
    litter = {
        outbox / f".syncthing.{bundle.name}.tmp": half,  # Syncthing, while pulling (Linux, macOS)
        outbox / f"~syncthing~{bundle.name}.tmp": half,  # Syncthing on Windows
        outbox / f"~${bundle.name}": b"lock",  # an Office-style owner file
        outbox / f"._{bundle.name}": b"\x00\x05\x16\x07AppleDouble",  # a Mac's resource fork on a stick
        outbox / f".{bundle.name}.~1a2b3c4d": half,  # Nextcloud / ownCloud download in progress
        outbox / f".{bundle.name}": half,  # a hidden copy
        outbox / f"{bundle.name}.partial": half,  # our own writer, interrupted
        outbox / f"{bundle.name}.part": half,  # browsers, KDE, rclone
        outbox / f"{bundle.name}.!sync": half,  # Resilio Sync
        outbox / f"{bundle.name}.tmp": half,
        outbox / f".~lock.{bundle.name}#": b"lock",  # LibreOffice
        outbox / "desktop.ini": b"[.ShellClassInfo]",
        shared / ".stfolder" / "marker": b"",  # Syncthing's folder marker
        shared / ".dropbox.cache" / bundle.name: half,  # Dropbox's download cache
        shared / ".tmp.drivedownload" / bundle.name: half,  # Google Drive for desktop
    }
    for path, content in litter.items():
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content)
        modified(path, 3600)  # old enough that nothing waits for it

    run = exchange(laptop, shared)
    assert [(r.file, r.status) for r in run.imported.results] == [(bundle.name, "applied")]
    assert run.waiting == [] and quarantine_list(laptop) == []
    assert notes_of(laptop, household) == ["事務局からのメモ"]
    # The same through a folder import of the whole share (the 同期 page): hidden folders are no outboxes.
    report = import_paths(laptop, [shared], skip_own_outbox=run.outbox)
    assert [(r.file, r.status) for r in report.results] == [(bundle.name, "already")]
    assert quarantine_list(laptop) == []


def test_conflict_copies_of_a_bundle_are_replays(council):
    office, laptop, household, shared = council
    bundle = office_bundle(office, household, shared)
    stem = bundle.name.removesuffix(".bundle")
    copies = [f"{stem}.sync-conflict-20261207-101010-ABCDEFG.bundle",  # Syncthing
              f"{stem} (架空 PC's conflicted copy 2026-12-07).bundle",  # Dropbox
              f"{stem} (1).bundle",  # Google Drive
              f"{stem}-DESKTOP-4F2K9.bundle"]  # OneDrive
    for name in copies:
        (bundle.parent / name).write_bytes(bundle.read_bytes())

    first = exchange(laptop, shared)
    statuses = sorted(r.status for r in first.imported.results)
    assert statuses == ["already"] * 4 + ["applied"]
    assert first.imported.refused == [] and first.waiting == [] and quarantine_list(laptop) == []
    assert notes_of(laptop, household) == ["事務局からのメモ"]
    again = exchange(laptop, shared)
    assert all(r.status == "already" for r in again.imported.results) and quarantine_list(laptop) == []
    assert notes_of(laptop, household) == ["事務局からのメモ"]
    # …and the office takes the laptop's answer as usual, copies or not.
    note(laptop, household, "ノートPCからのメモ")
    exchange(laptop, shared)
    back = exchange(office, shared)
    assert back.imported.refused == [] and sorted(notes_of(office, household)) == ["ノートPCからのメモ", "事務局からのメモ"]


def test_a_bundle_still_being_copied_in_place_waits_for_the_next_run(council):
    office, laptop, household, shared = council
    bundle = office_bundle(office, household, shared)
    data = bundle.read_bytes()
    bundle.write_bytes(data[: len(data) // 2])  # a client writing the file in place, halfway
    modified(bundle, 30)

    run = exchange(laptop, shared)
    assert run.imported.results == [] and [(w.file, w.status) for w in run.waiting] == [(bundle.name, "waiting")]
    assert "次に同期するとき" in run.waiting[0].message
    assert quarantine_list(laptop) == [] and notes_of(laptop, household) == []

    bundle.write_bytes(b"")  # some clients create the file empty first, then fill it
    modified(bundle, 1)
    assert [w.file for w in exchange(laptop, shared).waiting] == [bundle.name]

    bundle.write_bytes(data)  # the copy finished
    modified(bundle, 2)
    done = exchange(laptop, shared)
    assert [(r.file, r.status) for r in done.imported.results] == [(bundle.name, "applied")] and done.waiting == []
    assert notes_of(laptop, household) == ["事務局からのメモ"] and quarantine_list(laptop) == []


def test_a_sender_clock_ahead_still_counts_as_arriving(council):
    office, laptop, household, shared = council
    bundle = office_bundle(office, household, shared)
    data = bundle.read_bytes()
    bundle.write_bytes(data[:-100])
    modified(bundle, -120)  # the copying machine's clock is two minutes ahead of ours
    assert [w.file for w in exchange(laptop, shared).waiting] == [bundle.name]
    assert quarantine_list(laptop) == []


def test_a_cut_off_bundle_that_stays_so_is_quarantined_once_it_is_old(council):
    office, laptop, household, shared = council
    bundle = office_bundle(office, household, shared)
    bundle.write_bytes(bundle.read_bytes()[:-100])
    modified(bundle, SETTLE_SECONDS + 60)

    run = exchange(laptop, shared)
    assert run.waiting == [] and [(r.file, r.reason) for r in run.imported.refused] == [(bundle.name, "decrypt")]
    assert [q["file_name"] for q in quarantine_list(laptop)] == [bundle.name]


def test_a_bundle_whose_size_changes_while_it_is_read_waits(council, monkeypatch):
    office, laptop, household, shared = council
    bundle = office_bundle(office, household, shared)
    data = bundle.read_bytes()
    bundle.write_bytes(data[:-1])
    modified(bundle, 5)
    whole = mailbox._whole

    def client_writes_meanwhile(path, identity):
        path.write_bytes(data)  # the client finishes while we look: this run saw a moving file
        return whole(path, identity)

    monkeypatch.setattr(mailbox, "_whole", client_writes_meanwhile)
    run = exchange(laptop, shared)
    assert [w.file for w in run.waiting] == [bundle.name] and run.imported.results == []
    monkeypatch.setattr(mailbox, "_whole", whole)
    later = exchange(laptop, shared)
    assert [(r.file, r.status) for r in later.imported.results] == [(bundle.name, "applied")]
    assert quarantine_list(laptop) == []
