"""A process killed at any step of an export, an import or a mailbox run leaves no half state:
afterwards `check` passes, a full exchange brings every change everywhere, and nobody is told
of a fork (「端末の複製や改ざんのおそれ」), a clone or a bundle that will never come.

Each case kills a real child process at a chosen step (tests/sync/killing.py) on real stores
and real files, then goes on with the same stores in this process."""

from datetime import date
from pathlib import Path

import pytest

from shakyo_desk.cli import main
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import import_paths
from shakyo_desk.store.exchange.mailbox import exchange
from shakyo_desk.store.services import contacts, districts, households
from tests.sync.council import PASSPHRASE, enrol, make_office
from tests.sync.killing import EXPORT_POINTS, IMPORT_POINTS, KILLED, run_killed

TODAY = date(2026, 11, 23)
MISSING = "まだ届いていません"


@pytest.fixture
def council(tmp_path, monkeypatch):
    monkeypatch.setenv("SHAKYO_PASSPHRASE", PASSPHRASE)
    office, _ = make_office(tmp_path)
    district = districts.add_district(office, "上町", "かみまち")
    household = households.add_household(office, district, "架空 花子", address="架空村上町1")
    laptop = enrol(office, tmp_path, "laptop1")
    yield office, laptop, household
    laptop.close()
    office.close()


def note(store, household, text):
    contacts.add_contact(store, household_id=household, contact_date=date(2026, 11, 20), seen_heard=text, today=TODAY)


def notes_of(store, household):
    return {c.seen_heard for c in contacts.list_contacts(store, household_id=household)}


def root(store) -> str:
    return str(store.layout.root)


def cli_check(store, capsys) -> None:
    capsys.readouterr()
    code = main(["check", "--store", root(store), "--user", "admin"])
    out, err = capsys.readouterr()
    assert code == 0, out + err


def round_trip(a, b, ab: Path, ba: Path, rounds: int = 2) -> list:
    """Sticks carried both ways; each import takes the whole stick, as people do."""
    results = []
    for _ in range(rounds):
        for source, target, stick in ((a, b, ab), (b, a, ba)):
            stick.mkdir(parents=True, exist_ok=True)
            export_bundle(source, stick)
            results += import_paths(target, [stick]).results
    return results


def assert_no_alarm(results, lost: list[str] = ()) -> None:
    """Nothing refused, no clone, and no bundle reported missing but the `lost` ones."""
    for r in results:
        assert r.status in ("applied", "already", "own"), (r.file, r.reason, r.message)
        assert not r.clone_detected, r.file
    missing = [g for r in results for g in r.gaps if MISSING in g]
    assert missing == list(lost), missing


def assert_everything_everywhere(office, laptop, household, expected: set[str]) -> None:
    assert notes_of(office, household) == notes_of(laptop, household)
    assert expected <= notes_of(office, household)


@pytest.mark.parametrize("stick", ["imported", "lost", "late"])
@pytest.mark.parametrize("point", EXPORT_POINTS)
def test_an_export_killed_at_any_step(council, tmp_path, capsys, point, stick):
    """`stick`: what happens to whatever the killed run left on the stick — imported by the
    laptop (and by the office itself) at once, lost, or found and imported after later bundles."""
    office, laptop, household = council
    note(office, household, "書き出し前に事務局で書いたメモ")
    note(laptop, household, "ノートPCで書いたメモ")
    killed = tmp_path / "stick"
    killed.mkdir()
    assert run_killed({"do": "export", "store": root(office), "to": str(killed)}, f"export:{point}",
                      PASSPHRASE) == KILLED
    cli_check(office, capsys)

    results = []
    if stick == "imported":
        results += import_paths(laptop, [killed]).results
        own = import_paths(office, [killed]).results
        assert all(r.status == "own" and not r.clone_detected for r in own), [(r.status, r.message) for r in own]
    note(office, household, "中断のあとで事務局が書いたメモ")
    note(laptop, household, "中断のあとでノートPCが書いたメモ")
    results += round_trip(office, laptop, killed if stick == "imported" else tmp_path / "new-stick", tmp_path / "back")
    if stick == "late":
        results += import_paths(laptop, [killed]).results

    # Only a bundle whose export finished, and which then went missing, is reported: it was made.
    finished_and_lost = point == "after-commit" and stick != "imported"
    assert_no_alarm(results, ["「事務局」の第1号の同期ファイルがまだ届いていません。"] if finished_and_lost else [])
    assert_everything_everywhere(office, laptop, household, {
        "書き出し前に事務局で書いたメモ", "ノートPCで書いたメモ", "中断のあとで事務局が書いたメモ",
        "中断のあとでノートPCが書いたメモ"})
    cli_check(office, capsys)
    cli_check(laptop, capsys)


def test_gaps_are_told_as_runs_and_abandoned_numbers_are_no_gap(council, tmp_path):
    """Bundles 2–4 lost on the way, 5 reserved and killed before its file existed: the laptop,
    given 6, hears of one run of missing numbers and nothing of 5."""
    office, laptop, household = council
    carried, lost = tmp_path / "carried", tmp_path / "lost"
    carried.mkdir(), lost.mkdir()
    note(office, household, "一通目")
    export_bundle(office, carried)
    for text in ("二通目", "三通目", "四通目"):
        note(office, household, text)
        export_bundle(office, lost)
    assert run_killed({"do": "export", "store": root(office), "to": str(lost)}, "export:before-rename",
                      PASSPHRASE) == KILLED
    note(office, household, "六通目")
    sixth = export_bundle(office, carried)
    assert sixth.seq == 6
    results = import_paths(laptop, [carried]).results
    assert [r.gaps for r in results] == [[], ["「事務局」の第2号から第4号までの同期ファイルがまだ届いていません。"]]
    assert {"一通目", "二通目", "三通目", "四通目", "六通目"} <= notes_of(laptop, household)
    assert [r.status for r in import_paths(laptop, [lost]).results] == ["applied"] * 3  # late, and welcome


@pytest.mark.parametrize("point", ["before-rename", "after-verify"])
def test_a_laptop_export_killed_then_a_clean_one(council, tmp_path, capsys, point):
    """The same from the laptop's side, with the office importing the stick between."""
    office, laptop, household = council
    note(laptop, household, "ノートPCで書いたメモ")
    stick = tmp_path / "stick"
    stick.mkdir()
    assert run_killed({"do": "export", "store": root(laptop), "to": str(stick)}, f"export:{point}",
                      PASSPHRASE) == KILLED
    results = import_paths(office, [stick]).results
    for text in ("一回目", "二回目"):
        note(laptop, household, text)
        export_bundle(laptop, stick)
        results += import_paths(office, [stick]).results
    results += round_trip(office, laptop, tmp_path / "usb", tmp_path / "back", rounds=1)
    assert_no_alarm(results)
    assert_everything_everywhere(office, laptop, household, {"ノートPCで書いたメモ", "一回目", "二回目"})
    cli_check(office, capsys)
    cli_check(laptop, capsys)


@pytest.mark.parametrize("point", IMPORT_POINTS)
def test_an_import_killed_at_any_step(council, tmp_path, capsys, point):
    office, laptop, household = council
    for i in range(5):
        note(office, household, f"事務局のメモ{i}")
    note(laptop, household, "ノートPCで書いたメモ")
    stick = tmp_path / "stick"
    stick.mkdir()
    exported = export_bundle(office, stick)
    assert run_killed({"do": "import", "store": root(laptop), "paths": [str(exported.path)]}, f"import:{point}",
                      PASSPHRASE) == KILLED
    cli_check(laptop, capsys)
    quarantine = laptop.layout.root / "quarantine"
    assert not quarantine.exists() or not any(quarantine.iterdir())  # a killed import is no refusal

    results = import_paths(laptop, [stick]).results  # the same stick again
    results += round_trip(office, laptop, stick, tmp_path / "back")
    assert_no_alarm(results)
    assert_everything_everywhere(office, laptop, household,
                                 {f"事務局のメモ{i}" for i in range(5)} | {"ノートPCで書いたメモ"})
    cli_check(office, capsys)
    cli_check(laptop, capsys)


@pytest.mark.parametrize("point", ["import:mid-apply", "import:after-commit", "export:before-write",
                                   "export:before-rename", "export:after-verify"])
def test_a_mailbox_run_killed_at_any_step(council, tmp_path, capsys, point):
    office, laptop, household = council
    shared = tmp_path / "share"
    shared.mkdir()
    note(laptop, household, "ノートPCで書いたメモ")
    note(office, household, "事務局で書いたメモ")
    results = exchange(laptop, shared).imported.results
    assert run_killed({"do": "mailbox", "store": root(office), "shared": str(shared)}, point,
                      PASSPHRASE) == KILLED
    cli_check(office, capsys)
    note(office, household, "中断のあとで事務局が書いたメモ")
    note(laptop, household, "中断のあとでノートPCが書いたメモ")
    for store in (laptop, office, laptop, office, laptop):
        results += exchange(store, shared).imported.results
    assert_no_alarm(results)
    assert_everything_everywhere(office, laptop, household, {
        "ノートPCで書いたメモ", "事務局で書いたメモ", "中断のあとで事務局が書いたメモ", "中断のあとでノートPCが書いたメモ"})
    cli_check(office, capsys)
    cli_check(laptop, capsys)
