"""Enrolment by snapshot (issue 20, docs/sync-protocol.md "Enrolment by snapshot"), with real
SQLCipher stores and real enrolment files: a laptop joined from a snapshot and one joined by
replaying the changes hold the same and stay the same after a week of edits everywhere; a
district laptop's database holds no byte of another district nor any secret of the office; a
file altered or cut on the way is refused; a join killed midway leaves no half store."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.store import audit
from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange import devices
from shakyo_desk.store.exchange.importing import ALREADY, APPLIED
from shakyo_desk.store.exchange.knowledge import own as own_knowledge
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import (
    AuditLog,
    ChangeLog,
    DeviceState,
    Roster,
    SyncConflict,
    SyncLegacyEpoch,
)
from shakyo_desk.store.paths import StoreLayout
from shakyo_desk.store.services import contacts, districts, households
from shakyo_desk.sync import enrolment
from tests.killing import KILLED, run_child, wrap
from tests.sync.council import PASSPHRASE, carry, make_office
from tests.sync.test_convergence import replayed_conflict_ids, synced_rows

MARKER = "下町だけの秘密の目印ＸＹＺ"  # planted only in the other district's records


def _council(root: Path):
    """An office with two districts, households with members, contacts and a conflict-free
    history; returns (office, {district name: id}, {district name: [household ids]})."""
    office, _ = make_office(root)
    towns = {"上町": districts.add_district(office, "上町", "かみまち"),
             "下町": districts.add_district(office, "下町", "しもまち")}
    homes: dict[str, list[str]] = {"上町": [], "下町": []}
    for i in range(3):
        for town, district in towns.items():
            secret = MARKER if town == "下町" else "上町の記録"
            household = households.add_household(office, district, f"架空 {town}{i}", address=f"架空村{town}{i}",
                                                  notes=f"{secret} 世帯{i}")
            households.add_person(office, household, f"架空 {town}{i}太郎")
            contacts.add_contact(office, household_id=household, method="訪問", seen_heard=f"{secret} 訪問{i}",
                                 today=clock.today())
            homes[town].append(household)
    households.update_household(office, homes["上町"][0], phone="0000-11-1111")
    return office, towns, homes


def _enrol(office, root: Path, name: str, districts_: list[str] | None = None, *, replay: bool = False):
    folder = root / f"enrol-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "enrolment.shakyo"
    code = devices.add_device(office, name, path, districts_, kdf=FAST_KDF, replay=replay)
    return path, code


def _join(root: Path, name: str, path: Path, code: str):
    store, _ = devices.join(root / f"store-{name}", path, code, "admin", PASSPHRASE, kdf=FAST_KDF)
    return store


def _dots(store) -> set[tuple]:
    with store.read() as s:
        return {tuple(r) for r in s.execute(sa.select(
            ChangeLog.origin_device, ChangeLog.epoch, ChangeLog.seq, ChangeLog.entity, ChangeLog.entity_id,
            ChangeLog.sealed, ChangeLog.author_sig))}


def _knowledge_of_others(store) -> dict[str, int]:
    with store.read() as s:
        conn = s.connection()
        me = conn.execute(sa.select(DeviceState.device_id)).scalar()
        return {k: v for k, v in own_knowledge(conn).items() if not k.startswith(me + ":")}


def _conflicts(store) -> set[str]:
    with store.read() as s:
        return set(s.execute(sa.select(SyncConflict.id)).scalars())


def _sync_all(office, laptops: dict, folder: Path, rounds: int = 2) -> None:
    """Each laptop to the office and back, twice: everyone ends holding everything in scope."""
    for n in range(rounds):
        for name, laptop in laptops.items():
            _, report = carry(laptop, office, folder / f"{n}-{name}-up", for_device="事務局")
            assert all(r.status in (APPLIED, ALREADY) for r in report.results), report.results
            _, report = carry(office, laptop, folder / f"{n}-{name}-down", for_device=name)
            assert all(r.status in (APPLIED, ALREADY) for r in report.results), report.results


@pytest.mark.parametrize("scoped", [False, True], ids=["whole-council", "one-district"])
def test_a_snapshot_joined_laptop_and_a_replayed_one_stay_identical_through_a_week(tmp_path, pinned_clock, scoped):
    office, towns, homes = _council(tmp_path)
    scope = ["上町"] if scoped else None
    by_snapshot = _join(tmp_path, "snap", *_enrol(office, tmp_path, "snap", scope))
    by_replay = _join(tmp_path, "replay", *_enrol(office, tmp_path, "replay", scope, replay=True))
    laptops = {"snap": by_snapshot, "replay": by_replay}
    try:
        # Right after the join: the same records, changes, knowledge and questions.
        assert synced_rows(by_snapshot) == synced_rows(by_replay)
        assert _dots(by_snapshot) == _dots(by_replay)
        assert _knowledge_of_others(by_snapshot) == _knowledge_of_others(by_replay)
        assert _conflicts(by_snapshot) == _conflicts(by_replay)
        if not scoped:
            assert synced_rows(by_snapshot) == synced_rows(office)
        for store in (by_snapshot, by_replay):
            report = check_store(store)
            assert report.sound, report.problems

        # A week: every day the office and both laptops record, and both laptops edit the
        # same field of one household (a question for someone to settle).
        shared = homes["上町"][0]
        for day in range(7):
            pinned_clock.advance(days=1)
            today = pinned_clock.today()
            for i, store in enumerate((office, by_snapshot, by_replay)):
                contacts.add_contact(store, household_id=homes["上町"][day % 3], method="電話",
                                     seen_heard=f"{day}日目の記録 {i}", today=today)
            households.update_household(office, homes["上町"][1], address=f"架空村上町 {day}")
            if day in (2, 5):
                households.update_household(by_snapshot, shared, phone=f"0000-22-{day:04d}")
                households.update_household(by_replay, shared, phone=f"0000-33-{day:04d}")
            if not scoped:
                households.update_household(by_snapshot, homes["下町"][0], notes=f"下町 {day}")
            if day == 0:
                new = households.add_household(by_replay, towns["上町"], f"新規 {day}", address="架空村上町9")
            households.add_person(by_snapshot, homes["上町"][2], f"追加 {day}")
            if day:  # (a record made on the other laptop, edited here once it has arrived)
                households.update_household(by_snapshot, new, phone=f"0000-44-{day:04d}")
            _sync_all(office, laptops, tmp_path / f"day{day}")

        rows = synced_rows(by_snapshot)
        assert rows == synced_rows(by_replay)
        assert _conflicts(by_snapshot) == _conflicts(by_replay) and _conflicts(by_snapshot)
        assert _conflicts(by_snapshot) == replayed_conflict_ids(by_snapshot)  # the index matches the history
        office_id = _device_id(office)
        assert ({k: v for k, v in _knowledge_of_others(by_snapshot).items() if k.startswith(office_id)}
                == {k: v for k, v in _knowledge_of_others(by_replay).items() if k.startswith(office_id)})
        if not scoped:
            assert rows == synced_rows(office)
        for store in (office, by_snapshot, by_replay):
            report = check_store(store)
            assert report.sound, report.problems
    finally:
        for store in laptops.values():
            store.close()
        office.close()


def _device_id(store) -> str:
    with store.read() as s:
        return s.execute(sa.select(DeviceState.device_id)).scalar()


# ---- what a district laptop's file holds -----------------------------------------------------


def _clear_pages(database: Path, data_key: bytes) -> bytes:
    """Every page of a SQLCipher 4 file decrypted as it lies on the disk (free pages and
    unused space in pages included): AES-256-CBC under the raw key, the IV in each page's
    reserved tail (16-byte IV, 64-byte HMAC), page 1 after its 16-byte salt."""
    raw = database.read_bytes()
    page, reserve = 4096, 80
    out = bytearray()
    for at in range(0, len(raw), page):
        body = raw[at:at + page]
        start = 16 if at == 0 else 0
        iv = body[page - reserve:page - reserve + 16]
        decryptor = Cipher(algorithms.AES(data_key), modes.CBC(iv)).decryptor()
        out += decryptor.update(body[start:page - reserve]) + decryptor.finalize()
    return bytes(out)


def _carried_snapshot(path: Path, code: str, target: Path) -> bytes:
    """The snapshot inside an enrolment file, written to ``target``; returns its data key."""
    import base64

    opened = enrolment.open_file(path, code)
    with open(target, "wb") as f:
        f.writelines(opened.pieces)
    return base64.b64decode(opened.meta["snapshot"]["data_key"])


def _office_secrets(office) -> dict[str, bytes]:
    with office.read() as s:
        row = s.execute(sa.select(DeviceState.signing_key, DeviceState.age_identity)).one()
        hashes = list(s.execute(sa.select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(5)).scalars())
    found = {"signing key": bytes(row.signing_key), "age identity": row.age_identity.encode(),
             "data key": office.data_key, "audit key": audit.derive_key(office.data_key).key,
             "audit key id": audit.derive_key(office.data_key).key_id.encode(),
             "data key (hex)": office.data_key.hex().encode()}
    found.update({f"audit hash {i}": h.encode() for i, h in enumerate(hashes)})
    return found


def test_a_district_snapshot_holds_nothing_of_another_district_nor_the_offices_secrets(tmp_path):
    office, _, homes = _council(tmp_path)
    try:
        path, code = _enrol(office, tmp_path, "kamimachi", ["上町"])
        carried = tmp_path / "carried.db"
        key = _carried_snapshot(path, code, carried)
        laptop = _join(tmp_path, "kamimachi", path, code)
        try:
            with laptop.read() as s:
                assert set(s.execute(sa.select(AuditLog.action)).scalars()) == {"device.join", "device.enrolment_file"}
                assert s.execute(sa.select(sa.func.count()).select_from(Roster)).scalar() == 1
                assert s.execute(sa.select(sa.func.count()).select_from(SyncLegacyEpoch)).scalar() == 0
                assert s.execute(sa.select(sa.func.count()).select_from(ChangeLog).where(
                    ChangeLog.chain.is_not(None))).scalar() == 0
            laptop_key = laptop.data_key
            report = check_store(laptop)
            assert report.sound, report.problems
        finally:
            laptop.close()
        secrets = _office_secrets(office)
        database = tmp_path / "store-kamimachi" / "shakyo.db"
        for name, pages in (("carried snapshot", _clear_pages(carried, key)),
                            ("joined database", _clear_pages(database, laptop_key))):
            assert "上町の記録".encode() in pages, f"{name}: the pages did not decrypt"  # the check works
            assert MARKER.encode() not in pages, f"{name} holds another district's record"
            for household in homes["下町"]:
                assert household.encode() not in pages, f"{name} names another district's household"
            for what, value in secrets.items():
                assert value not in pages, f"{name} holds the office's {what}"
        assert laptop_key == key  # the device's own key, drawn for it (not the office's)
        assert key != office.data_key
    finally:
        office.close()


def test_a_whole_council_snapshot_holds_no_secret_of_the_office(tmp_path):
    office, _, _ = _council(tmp_path)
    try:
        path, code = _enrol(office, tmp_path, "laptop1")
        carried = tmp_path / "carried.db"
        pages = _clear_pages(carried, _carried_snapshot(path, code, carried))
        assert MARKER.encode() in pages  # the whole council: every district
        for what, value in _office_secrets(office).items():
            assert value not in pages, f"the snapshot holds the office's {what}"
    finally:
        office.close()


# ---- damaged in transit ----------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["flipped", "cut", "record-dropped", "appended"])
def test_a_snapshot_altered_or_cut_on_the_way_is_refused_and_nothing_is_made(tmp_path, damage):
    office, _, _ = _council(tmp_path)
    try:
        path, code = _enrol(office, tmp_path, "laptop1")
    finally:
        office.close()
    data = bytearray(path.read_bytes())
    opened = enrolment.open_file(path, code)
    assert opened.format == enrolment.SNAPSHOT_FORMAT
    if damage == "flipped":
        data[len(data) - 5000] ^= 0x01  # inside the snapshot's last record
    elif damage == "cut":
        data = data[:len(data) - 4096]
    elif damage == "appended":
        data += b"\0" * 64
    else:  # the last record taken out: what remains ends cleanly on a record boundary
        at = _record_starts(bytes(data))[-1]
        data = data[:at]
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidInput) as refused:
        devices.join(tmp_path / "laptop", path, code, "admin", PASSPHRASE, kdf=FAST_KDF)
    assert "壊れて" in str(refused.value)
    assert not (tmp_path / "laptop").exists()
    assert path.read_bytes() == bytes(data)  # not used up


def _record_starts(data: bytes) -> list[int]:
    import struct

    (p_len,) = struct.unpack_from(">H", data, 10)
    at, starts = 12 + p_len + 28, []
    while at < len(data):
        starts.append(at)
        (length,) = struct.unpack_from(">I", data, at)
        at += 4 + length
    return starts


# ---- killed midway ----------------------------------------------------------------------------

KILL_POINTS = ("writing-snapshot", "before-keys")


def child(spec_json: str) -> None:
    """In a child process: join, dying at ``point`` (tests/killing.py)."""
    from shakyo_desk.domain import safe_file
    from shakyo_desk.store import keyfile
    from shakyo_desk.store.exchange import snapshot

    spec = json.loads(spec_json)
    clock.set_clock(clock.FixedClock(date.fromisoformat(os.environ["SHAKYO_TODAY"])))
    if spec["point"] == "writing-snapshot":
        # every record written and on the disk, not yet renamed into place
        wrap(safe_file.os, "replace", before=True,
             when=lambda source, target: str(source).endswith(snapshot.PARTIAL_SUFFIX))
    else:
        wrap(keyfile.KeyFile, "save", before=True)  # the database complete, keys.json not written
    devices.join(Path(spec["root"]), Path(spec["file"]), spec["code"], "admin", PASSPHRASE, kdf=FAST_KDF)


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_join_killed_midway_leaves_no_store_and_the_file_joins_again(tmp_path, point):
    office, _, _ = _council(tmp_path)
    try:
        path, code = _enrol(office, tmp_path, "laptop1")
    finally:
        office.close()
    root = tmp_path / "laptop"
    assert run_child(__name__, {"point": point, "root": str(root), "file": str(path), "code": code}) == KILLED
    assert not StoreLayout(root).exists()
    assert path.read_bytes()[:8] == enrolment.MAGIC  # not used up
    laptop = devices.join(root, path, code, "admin", PASSPHRASE, kdf=FAST_KDF).store
    try:
        report = check_store(laptop)
        assert report.sound, report.problems
        assert sorted(p.name for p in root.iterdir() if not p.name.startswith("shakyo.db")) == ["keys.json"]
    finally:
        laptop.close()


# ---- a disk that fills at the office ------------------------------------------------------------


def _roster_version(store) -> int:
    with store.read() as s:
        return s.execute(sa.select(sa.func.max(Roster.version))).scalar()


@pytest.mark.parametrize("where", ["snapshot", "enrolment-file"])
def test_a_full_disk_at_the_office_publishes_nothing_and_leaves_nothing(tmp_path, monkeypatch, where):
    import errno

    from shakyo_desk.domain import safe_file
    from shakyo_desk.domain.errors import StoreError
    from shakyo_desk.store.exchange import snapshot

    office, _, _ = _council(tmp_path)
    try:
        before = _roster_version(office)
        if where == "snapshot":
            original = snapshot._copy_changes

            def full(conn, *args):
                original(conn, *args)
                raise sa.exc.OperationalError("INSERT", (), Exception("database or disk is full"))

            monkeypatch.setattr(snapshot, "_copy_changes", full)
        else:
            def full(self, data):
                raise OSError(errno.ENOSPC, "No space left on device")

            monkeypatch.setattr(safe_file.StagedFile, "write", full)
        usb = tmp_path / "usb"
        usb.mkdir()
        with pytest.raises(StoreError) as refused:
            devices.add_device(office, "laptop1", usb / "enrolment.shakyo", kdf=FAST_KDF)
        assert "登録ファイル" in str(refused.value) and "空き" in str(refused.value)
        assert _roster_version(office) == before  # no device published for a file never written
        assert list(usb.iterdir()) == []
        assert list(office.layout.staging.iterdir()) == []
        monkeypatch.undo()
        path, code = _enrol(office, tmp_path, "laptop1")  # the name is still free, and it works
        laptop = _join(tmp_path, "laptop1", path, code)
        laptop.close()
    finally:
        office.close()
