"""Issue 16: a reporter's 把握シート filed on a laptop where only staff unlock reaches the office
in the laptop's bundles, is filed there, and its status comes back to the reporter on the
laptop (store/exchange/drops.py, docs/sync-protocol.md "Reporters' sheets in bundles").

Real SQLCipher stores (an office made by `init`, laptops enrolled from it), real bundle files in
folders; the day is pinned by tests/conftest.py."""

from __future__ import annotations

import base64
import json
import os

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from shakyo_desk.store import dropbox
from shakyo_desk.store.exchange import drops as carried_drops
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths
from shakyo_desk.store.keyfile import FAST_KDF, KeyFile
from shakyo_desk.store.models import AuditLog, ChangeLog, ConcernSheet
from shakyo_desk.store.reporter import ReporterSession
from shakyo_desk.store.services import accounts, districts, drops
from shakyo_desk.store.services.sheets import change_status, file_sheet, list_sheets
from shakyo_desk.store.store import unlock
from shakyo_desk.sync.bundle import MAX_DROP_BYTES, canonical_json, pack_bundle, write_bundle_file
from tests.sync.council import PASSPHRASE, enrol, make_office
from tests.sync.hostile import me, reopened

COORD_PASS = "coord passphrase"
REP_PASS = "reporter passphrase"


class Council:
    """An office (its admin's session), a coordinator, staff accounts and a reporter; laptops are
    enrolled by their staff, and the reporter is given a key pair on a laptop by the staff member
    there (「この端末で報告者が使えるようにする」, accounts.enable_reporter_here): keys.json's
    reporter entry, no way to the data key."""

    def __init__(self, root):
        self.root = root
        self.office, _ = make_office(root)
        self.district = districts.add_district(self.office, "上町", "かみまち")
        self.coord_id = accounts.add_account(self.office, "coord", "調整 花子", "coordinator", COORD_PASS, kdf=FAST_KDF)
        self.rep_id = accounts.add_account(self.office, "rep", "報告 次郎", "reporter", REP_PASS,
                                           section="介護保険事業所", kdf=FAST_KDF)
        self.staff = {login: accounts.add_account(self.office, login, login, "staff", PASSPHRASE, kdf=FAST_KDF)
                      for login in ("tanaka", "suzuki", "sato")}
        self.open: list = [self.office]
        self.usb = root / "usb"
        self.usb.mkdir()

    def laptop(self, name: str, login: str, districts: list[str] | None = None, reporter: bool = True,
               coordinator: bool = False):
        """An enrolled laptop, unlocked by its staff member (as they would, after joining);
        ``coordinator``: the coordinator has a key pair there too (their own, not the office's)."""
        joined = enrol(self.office, self.root, name, districts, login=login)
        if reporter:
            accounts.enable_reporter_here(joined, self.rep_id, REP_PASS, kdf=FAST_KDF)
        if coordinator:
            joined.keyfile.wrap_for_account("coord", COORD_PASS, joined.data_key, FAST_KDF)
        joined.keyfile.save(joined.layout.key_file)
        joined.close()
        return self.unlock(joined.layout.root, login, PASSPHRASE)

    def unlock(self, root, login: str, passphrase: str):
        session = unlock(root, login, passphrase)
        self.open.append(session)
        return session

    def coordinator(self):
        return self.unlock(self.office.layout.root, "coord", COORD_PASS)

    def export(self, store, name: str, **options):
        folder = self.usb / name
        folder.mkdir()
        return export_bundle(store, folder, **options).path

    def close(self):
        for session in self.open:
            if session.is_open:
                session.close()


@pytest.fixture
def council(tmp_path):
    c = Council(tmp_path)
    yield c
    c.close()


def file_as_reporter(laptop, hint: str) -> str:
    reporter = unlock(laptop.layout.root, "rep", REP_PASS)
    assert isinstance(reporter, ReporterSession)
    try:
        return file_sheet(reporter, household_hint=hint, concerns=[reporter.concern_names()[0]], urgency="早め",
                          situation="新聞がたまっている")
    finally:
        reporter.close()


def drop_file(store, sheet_id: str):
    return store.layout.root / "dropbox" / f"{sheet_id}.sheet"


def sheets_at(store) -> dict[str, str]:
    with store.read() as s:
        return dict(s.execute(sa.select(ConcernSheet.id, ConcernSheet.noticed_by)).all())


def carried(path, store) -> list[dict]:
    """The `drops` a bundle carries, opened as `store` (a recipient) opens it."""
    return reopened(store, path).manifest.get("drops", [])


def test_a_laptop_reporters_sheet_reaches_the_office_and_its_status_comes_back(council):
    laptop = council.laptop("laptop1", "tanaka")
    sheet_id = file_as_reporter(laptop, "北町の角の家")
    drop = drop_file(laptop, sheet_id)
    office_id = me(council.office).device_id
    # nobody who unlocks this laptop can open it: it is sealed to the office installation and the reporter
    assert set(dropbox.read_header(drop.read_bytes())["to"]) == {dropbox.device_label(office_id), "rep"}

    bundle = council.export(laptop, "from-laptop")
    assert [d["id"] for d in carried(bundle, council.office)] == [sheet_id]

    coordinator = council.coordinator()
    report = import_paths(coordinator, [bundle])
    assert not report.refused
    assert any("1件受け付けました" in n for n in report.notices)
    with coordinator.read() as s:
        sheet = s.get(ConcernSheet, sheet_id)
        assert sheet.noticed_by == council.rep_id and sheet.created_by == council.rep_id
        assert sheet.section == "介護保険事業所" and sheet.household_hint == "北町の角の家"
        authors = s.execute(sa.select(ChangeLog.staff_id).where(ChangeLog.entity_id == sheet_id)).scalars().all()
        vouched = s.execute(sa.select(AuditLog.detail).where(AuditLog.action == "dropbox.vouched")).scalars().all()
    assert authors == [council.rep_id]
    assert [json.loads(v) if isinstance(v, str) else v for v in vouched] == [
        {"device": me(laptop).device_id, "reporter": "rep"}]
    assert not list((coordinator.layout.root / "dropbox").glob("*.sheet"))
    change_status(coordinator, sheet_id, "確認中")

    back = council.export(coordinator, "from-office")
    assert drop.exists()  # carried until the sheet comes back
    assert not import_paths(laptop, [back]).refused
    assert not drop.exists()
    laptop.close()

    again = council.unlock(laptop.layout.root, "tanaka", PASSPHRASE)  # a staff unlock publishes the status
    assert (again.layout.root / "dropbox" / "reporter" / "rep" / f"{sheet_id}.status").exists()
    reporter = unlock(again.layout.root, "rep", REP_PASS)
    try:
        assert [(s.id, s.status) for s in list_sheets(reporter)] == [(sheet_id, "確認中")]
    finally:
        reporter.close()
    # nothing left to carry
    assert "drops" not in reopened(council.office, council.export(again, "again")).manifest


def test_a_drop_carried_twice_and_relayed_is_filed_once(council):
    """The coordinator has a key pair on both laptops (each its own): the drop is sealed to the
    one on the laptop where it was written, which neither the relay's coordinator nor the office's
    can open; the relay leaves it alone (no quarantine), the office opens it as the installation."""
    relay = council.laptop("laptop2", "coord", reporter=False)
    laptop = council.laptop("laptop1", "tanaka", coordinator=True)
    sheet_id = file_as_reporter(laptop, "南町の団地")
    office_id = me(council.office).device_id
    assert set(dropbox.read_header(drop_file(laptop, sheet_id).read_bytes())["to"]) == {
        "coord", dropbox.device_label(office_id), "rep"}
    first = council.export(laptop, "a1")
    report = import_paths(relay, [first])  # the relay's coordinator imports: nothing to file there
    assert not report.refused and not report.notices
    assert drop_file(relay, sheet_id).exists()  # kept to be carried on, though it cannot be opened here
    assert not dropbox.quarantined(relay.layout.root)
    second = council.export(laptop, "a2")
    relayed = council.export(relay, "b1")
    assert [d["id"] for d in carried(relayed, council.office)] == [sheet_id]

    coordinator = council.coordinator()
    report = import_paths(coordinator, [relayed])  # the relay's copy first
    assert not report.refused and any("1件受け付けました" in n for n in report.notices)
    report = import_paths(coordinator, [first, second])
    assert not report.refused and not report.notices
    assert sheets_at(coordinator) == {sheet_id: council.rep_id}
    with coordinator.read() as s:
        inserts = s.execute(sa.select(sa.func.count()).select_from(ChangeLog).where(
            ChangeLog.entity == "concern_sheet", ChangeLog.op == "insert")).scalar()
    assert inserts == 1
    assert not dropbox.quarantined(coordinator.layout.root)
    assert not list((coordinator.layout.root / "dropbox").glob("*.sheet"))

    # the sheet comes back to both laptops: each drops its copy
    back = council.export(coordinator, "back")
    for store in (relay, laptop):
        assert not import_paths(store, [back]).refused
        assert not drop_file(store, sheet_id).exists()


def _sealed_by_impostor(council, laptop, drop_id: str) -> bytes:
    """A drop in the reporter's name made with a key pair nobody vouches for."""
    keyfile = KeyFile.load(laptop.layout.key_file)
    office = dropbox.office_recipient(laptop.layout.root)
    return dropbox.seal(keyfile, "sheet", drop_id, "rep", X25519PrivateKey.generate(), ["rep"],
                        {"fields": {"household_hint": "偽物", "concerns": ["見守り"]}}, extra=office)


def _with_endorsement(data: bytes, device_id: str, key: Ed25519PrivateKey) -> bytes:
    doc = json.loads(data)
    message = carried_drops._message(doc, device_id)
    doc[carried_drops.ENDORSEMENT] = {"device": device_id, "sig": base64.b64encode(key.sign(message)).decode()}
    return json.dumps(doc).encode()


def test_a_hostile_devices_forged_drops_file_nothing_and_stop_no_honest_drop(council, tmp_path):
    hostile = council.laptop("laptop2", "suzuki", reporter=False)
    laptop = council.laptop("laptop1", "tanaka")
    honest = file_as_reporter(laptop, "東町の一軒家")
    assert not import_paths(hostile, [council.export(laptop, "a1")]).refused
    later = file_as_reporter(laptop, "西町のアパート")  # travels only in the laptop's own next bundle

    genuine = council.export(hostile, "h1")
    opened = reopened(hostile, genuine)
    honest_entry = next(d for d in opened.manifest["drops"] if d["id"] == honest)
    honest_bytes = base64.b64decode(honest_entry["data"])
    forged_ids = [f"0190a000-0000-7000-8000-00000000000{i}" for i in range(6)]

    def entry(drop_id: str, data: bytes) -> dict:
        return {"id": drop_id, "data": base64.b64encode(data).decode()}

    unvouched = _sealed_by_impostor(council, laptop, forged_ids[0])
    badly_vouched = _with_endorsement(_sealed_by_impostor(council, laptop, forged_ids[1]), me(hostile).device_id,
                                      Ed25519PrivateKey.generate())
    header = json.loads(honest_bytes)
    oversized = json.dumps({**header, "id": forged_ids[2], "padding": "x" * MAX_DROP_BYTES}).encode()
    foreign = json.dumps({**header, "id": forged_ids[3], "store_id": "another-council"}).encode()
    forged = [
        entry(forged_ids[0], unvouched),
        entry(forged_ids[1], badly_vouched),
        entry(forged_ids[2], oversized),
        entry(forged_ids[3], foreign),
        entry(forged_ids[4], os.urandom(600)),  # garbage
        entry("../../../../escaped", honest_bytes),  # a path for a name
        entry(forged_ids[5], honest_bytes),  # another id than the file's
        {"id": forged_ids[5], "data": 12, "extra": True},
        "not a drop at all",
    ]
    manifest = {k: v for k, v in opened.manifest.items() if k not in ("format_version", "recipients", "payload",
                                                                       "counts")}
    manifest["drops"] = forged[:4] + [honest_entry] + forged[4:]
    data = pack_bundle(manifest, list(opened.changes), me(hostile).keys, opened.manifest["recipients"])
    (tmp_path / "forged").mkdir()
    bundle = write_bundle_file(tmp_path / "forged", genuine.name, data)

    coordinator = council.coordinator()
    report = import_paths(coordinator, [bundle])
    [result] = report.results
    assert result.status == "applied"  # the bundle's changes and its honest drop are taken
    assert any("1件受け付けました" in n for n in report.notices)
    assert sheets_at(coordinator) == {honest: council.rep_id}
    notes = "\n".join(result.notes)
    assert "5件は、形式が正しくない" in notes  # garbage, the path, the other id, the two malformed entries
    assert "2件は、作られた端末の確認" in notes and "1件は、大きすぎる" in notes and "1件は、別の社協" in notes
    root = coordinator.layout.root
    assert not list((root / "dropbox").rglob("*.sheet")), "nothing forged was kept or set aside"
    assert not any("escaped" in p.name for p in council.root.rglob("*"))

    # the laptop's own next bundle is taken as ever
    report = import_paths(coordinator, [council.export(laptop, "a2")])
    assert not report.refused
    assert sheets_at(coordinator) == {honest: council.rep_id, later: council.rep_id}


def test_a_district_laptop_hears_that_its_drop_was_filed(council):
    """The sheet itself goes to a district-limited laptop only with a household of its
    districts; the office's bundles for it say which drops it filed."""
    laptop = council.laptop("chiku", "tanaka", districts=["上町"])
    sheet_id = file_as_reporter(laptop, "上町の坂の上")
    coordinator = council.coordinator()
    assert not import_paths(coordinator, [council.export(laptop, "up")]).refused
    assert sheets_at(coordinator) == {sheet_id: council.rep_id}

    back = council.export(coordinator, "down", for_device="chiku")
    assert reopened(laptop, back).manifest["drops_filed"] == [sheet_id]
    assert not import_paths(laptop, [back]).refused
    assert sheet_id not in sheets_at(laptop)  # (not in its districts)
    assert not drop_file(laptop, sheet_id).exists()
    reporter = unlock(laptop.layout.root, "rep", REP_PASS)
    try:
        assert [(s.id, s.status) for s in list_sheets(reporter)] == [(sheet_id, dropbox.DELIVERED)]
    finally:
        reporter.close()
    assert "drops" not in reopened(coordinator, council.export(laptop, "up2")).manifest


def test_bundles_without_drops_read_as_before_and_a_long_list_is_refused(council, tmp_path):
    laptop = council.laptop("laptop1", "tanaka")
    genuine = council.export(laptop, "plain")
    opened = reopened(laptop, genuine)
    assert "drops" not in opened.manifest  # nothing waiting: an older reader sees the same keys
    manifest = {k: v for k, v in opened.manifest.items() if k not in ("format_version", "recipients", "payload",
                                                                       "counts")}
    manifest["drops"] = [{"id": "x", "data": ""}] * 65
    with pytest.raises(ValueError):  # a sender never writes what receivers refuse
        pack_bundle(manifest, list(opened.changes), me(laptop).keys, opened.manifest["recipients"])
    from tests.sync.test_hostile_input import forge, full_manifest
    import zlib

    text = b"[" + b",".join(canonical_json(c) for c in opened.changes) + b"]"
    payload = zlib.compress(text)
    whole = full_manifest(manifest, payload, len(text), len(opened.changes), opened.manifest["recipients"])
    (tmp_path / "long").mkdir()
    path = write_bundle_file(tmp_path / "long", genuine.name,
                             forge(me(laptop).keys, canonical_json(whole), payload, opened.manifest["recipients"]))
    [result] = import_paths(council.office, [path]).results
    assert result.status == "refused" and result.reason == "limit"


def test_a_drop_taken_in_a_staff_session_waits_for_a_coordinator(council):
    """At the office a staff member imports: the drop waits (counted for coordinators and admins,
    who can open it as the installation) until a coordinator unlocks. The reporter's key pair on
    another laptop is another one: there the relayed drop is neither theirs nor a fault."""
    relay = council.laptop("laptop2", "suzuki")  # the reporter has a key pair here too
    laptop = council.laptop("laptop1", "tanaka")
    sheet_id = file_as_reporter(laptop, "北町の空き家")
    bundle = council.export(laptop, "a1")

    staff = council.unlock(council.office.layout.root, "sato", PASSPHRASE)
    report = import_paths(staff, [bundle])
    assert not report.refused and not report.notices
    assert drop_file(staff, sheet_id).exists() and sheet_id not in sheets_at(staff)
    assert drops.waiting_count(council.office) == 1  # the admin's drop box counts it

    coordinator = council.coordinator()  # its unlock files it
    assert any("1件受け付けました" in n for n in coordinator.notices)
    assert sheets_at(coordinator) == {sheet_id: council.rep_id}
    assert not drop_file(coordinator, sheet_id).exists()

    assert not import_paths(relay, [bundle]).refused
    assert drop_file(relay, sheet_id).exists()
    reporter = unlock(relay.layout.root, "rep", REP_PASS)
    try:
        assert reporter.check() == [] and list_sheets(reporter) == []
    finally:
        reporter.close()
    assert not import_paths(relay, [council.export(coordinator, "back")]).refused
    assert not drop_file(relay, sheet_id).exists()
    reporter = unlock(relay.layout.root, "rep", REP_PASS)  # the sheet came back: its status is published here too
    try:
        assert [(s.id, s.status) for s in list_sheets(reporter)] == [(sheet_id, "受付")]
    finally:
        reporter.close()
