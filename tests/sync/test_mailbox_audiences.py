"""A shared-folder mailbox with an office, a full laptop and a district-limited laptop, on real
stores (docs/sync-protocol.md, "Shared-folder mailbox" and "Bundle chains"): the office writes a
bundle for the whole council and one for the district laptop. No device is shown a bundle it
cannot open as an error, nobody hears of a bundle "still missing" that went to the other
audience, and every note reaches every device that may hold it — through the Python API and
through the CLI, run after run."""

import json
import os
from datetime import date

import pytest
import sqlalchemy as sa

from shakyo_desk.cli import main
from shakyo_desk.store.exchange import devices, mailbox
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths, quarantine_list
from shakyo_desk.store.exchange.mailbox import exchange
from shakyo_desk.store.models import SyncNotOurs
from shakyo_desk.store.services import contacts, districts, households
from tests.sync.council import PASSPHRASE, enrol, make_office
from tests.sync.killing import KILLED, run_killed

TODAY = date(2026, 11, 23)
MISSING = "まだ届いていません"


def note(store, household, text):
    contacts.add_contact(store, household_id=household, contact_date=date(2026, 11, 20), seen_heard=text, today=TODAY)


def notes_of(store, household):
    return {c.seen_heard for c in contacts.list_contacts(store, household_id=household)}


@pytest.fixture
def council(tmp_path, monkeypatch):
    monkeypatch.setenv("SHAKYO_PASSPHRASE", PASSPHRASE)
    office, _ = make_office(tmp_path)
    up = districts.add_district(office, "上町", "かみまち")
    down = districts.add_district(office, "下町", "しもまち")
    upper = households.add_household(office, up, "架空 上子", address="架空村上町1")
    lower = households.add_household(office, down, "架空 下子", address="架空村下町1")
    laptop = enrol(office, tmp_path, "laptop1")
    kami = enrol(office, tmp_path, "kamimachi", districts=["上町"])
    shared = tmp_path / "share"
    shared.mkdir()
    yield office, laptop, kami, upper, lower, shared
    kami.close()
    laptop.close()
    office.close()


def cli_mailbox(store, shared, capsys) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["sync", "mailbox", "--folder", str(shared), "--store", str(store.layout.root), "--user", "admin",
                 "--format", "json"])
    out, _ = capsys.readouterr()
    return code, json.loads(out)


def assert_quiet(results) -> None:
    for r in results:
        assert r.status in ("applied", "already"), (r.file, r.status, r.reason, r.message)
        assert not [g for g in r.gaps if MISSING in g], (r.file, r.gaps)


def test_three_devices_share_a_mailbox_without_refusals_or_false_gaps(council, capsys):
    office, laptop, kami, upper, lower, shared = council
    written: dict[str, set[str]] = {"upper": set(), "lower": set()}
    devices = {"office": office, "laptop": laptop, "kami": kami}
    for round_ in range(3):
        for name, store in devices.items():
            where = [("upper", upper)] + ([] if store is kami else [("lower", lower)])
            for key, household in where:
                text = f"{name}の{round_}回目のメモ（{key}）"
                note(store, household, text)
                written[key].add(text)
            if round_ == 1:  # the CLI, as a scheduled task would run it
                code, out = cli_mailbox(store, shared, capsys)
                assert code == 0, out
                assert out["refused"] == 0 and out["waiting"] == [], out
                for r in out["results"]:
                    assert r["status"] in ("applied", "already") and not r["gaps"], r
            else:
                run = exchange(store, shared)
                assert_quiet(run.imported.results)
                assert run.waiting == []
    for _ in range(2):  # let everything settle
        for store in devices.values():
            assert_quiet(exchange(store, shared).imported.results)

    for store in devices.values():
        assert quarantine_list(store) == [], [q["file_name"] for q in quarantine_list(store)]
    for store in (office, laptop):
        assert notes_of(store, upper) == written["upper"]
        assert notes_of(store, lower) == written["lower"]
    assert notes_of(kami, upper) == written["upper"]
    assert {h.id for h in households.list_households(kami)} == {upper}


def test_a_bundle_for_someone_else_given_by_hand_is_still_refused(council, tmp_path):
    """`sync import FILE` of a bundle that is not ours keeps saying so (and quarantines it)."""
    office, _, kami, upper, _, _ = council
    note(office, upper, "事務局からのメモ")
    (tmp_path / "usb").mkdir()
    whole = export_bundle(office, tmp_path / "usb")
    [refused] = import_paths(kami, [whole.path]).results
    assert refused.status == "refused" and refused.reason == "decrypt"


def test_each_audience_numbers_its_own_bundles(council, tmp_path):
    """The office's bundles for the whole council and for the district laptop are two chains,
    each numbered 1, 2, 3…, with names that never collide in one folder (a USB stick)."""
    office, laptop, kami, upper, _, shared = council
    runs = []
    for i in range(3):
        note(office, upper, f"事務局のメモ{i}")
        runs.append(exchange(office, shared))
    council_wide = [run.exported[0] for run in runs]
    for_kami = [run.exported[1] for run in runs]
    assert [e.seq for e in council_wide] == [1, 2, 3] and [e.seq for e in for_kami] == [1, 2, 3]
    assert all(e.recipients == ["kamimachi"] for e in for_kami)
    assert all(e.path.parent == runs[0].outbox for e in council_wide)
    assert {e.path.parent for e in for_kami} == {runs[0].outbox / mailbox.recipient_folder(
        kami_id(office), "kamimachi")}
    for store in (laptop, kami):
        assert [r.seq for r in exchange(store, shared).imported.results if r.sender == "事務局"] == [1, 2, 3]
    usb = tmp_path / "usb"
    usb.mkdir()
    a, b = export_bundle(office, usb), export_bundle(office, usb, for_device="kamimachi")
    assert (a.seq, b.seq) == (4, 4) and a.path != b.path and a.path.exists() and b.path.exists()
    assert [r.status for r in import_paths(laptop, [a.path]).results] == ["applied"]
    [taken] = import_paths(kami, [b.path]).results
    assert taken.status == "applied" and taken.gaps == []


def kami_id(office) -> str:
    return next(d.device_id for d in devices.overview(office).devices if d.name == "kamimachi")


def test_bundles_made_before_a_device_joined_are_skipped_and_not_opened_again(council, tmp_path, monkeypatch):
    office, laptop, _, _, lower, shared = council
    note(office, lower, "二台目より前のメモ")
    exchange(office, shared)
    exchange(laptop, shared)
    late = enrol(office, tmp_path, "laptop2")  # the share holds bundles not encrypted to it
    try:
        looked: list[str] = []
        addressed = mailbox._addressed_to_us

        def counting(path, identity):
            looked.append(path.name)
            return addressed(path, identity)

        monkeypatch.setattr(mailbox, "_addressed_to_us", counting)
        first = exchange(late, shared)
        assert first.imported.results == [] and first.not_ours == 2 and quarantine_list(late) == []
        skipped = sorted(looked)
        assert len(skipped) == 2
        looked.clear()
        again = exchange(late, shared)
        assert again.imported.results == [] and again.not_ours == 2 and looked == []  # remembered
        # Its own notes came with its enrolment; what the others write from now on reaches it.
        assert "二台目より前のメモ" in notes_of(late, lower)
        note(laptop, lower, "二台目が加わってからのメモ")
        exchange(laptop, shared)
        later = exchange(late, shared)
        assert [r.status for r in later.imported.results] == ["applied"] and later.imported.refused == []
        assert "二台目が加わってからのメモ" in notes_of(late, lower)
        # A file that changes is looked at again; one that is gone is forgotten.
        changed, gone = (next(shared.rglob(name)) for name in skipped)
        os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns - 10**9))
        gone.unlink()
        looked.clear()
        run = exchange(late, shared)
        assert looked == [changed.name] and run.not_ours == 1 and run.imported.refused == []
        with late.read() as s:
            assert set(s.execute(sa.select(SyncNotOurs.file_name)).scalars()) == {changed.name}
    finally:
        late.close()


@pytest.mark.parametrize("point", ["export:before-write", "export:before-rename", "export:after-verify"])
def test_an_export_to_the_district_laptop_killed_midway(council, tmp_path, point):
    """Crash-consistent export per chain: the office killed while writing the laptop's bundle into
    its sub-folder; then everyone goes on through the mailbox. The abandoned number is declared in
    the laptop's chain, so nobody waits for it, and nothing is lost."""
    office, laptop, kami, upper, _, shared = council
    note(office, upper, "中断の前のメモ")
    for store in (office, laptop, kami):
        exchange(store, shared)
    folder = exchange(office, shared).exported[1].path.parent
    assert run_killed({"do": "export", "store": str(office.layout.root), "to": str(folder), "for": "kamimachi"},
                      point, PASSPHRASE) == KILLED
    note(office, upper, "中断のあとの事務局のメモ")
    note(kami, upper, "中断のあとの上町のメモ")
    results = []
    for _ in range(3):
        for store in (office, laptop, kami):
            results += exchange(store, shared).imported.results
    assert_quiet(results)
    for store in (office, laptop, kami):
        assert notes_of(store, upper) == {"中断の前のメモ", "中断のあとの事務局のメモ", "中断のあとの上町のメモ"}
        assert quarantine_list(store) == []
