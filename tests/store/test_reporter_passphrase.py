"""A reporter changes their own passphrase (issue 16): their session has no database, so the
change is their key pair in keys.json alone. Their sheets stay theirs: drops not filed yet are
sealed again with the new pair, status files sealed to the old pair still open, and the
coordinator files what arrives."""

import json

import pytest

from shakyo_desk.domain.errors import AuthError, InvalidInput
from shakyo_desk.store import dropbox
from shakyo_desk.store.keyfile import ENV_TEST_SUITE, FAST_KDF, KeyFile
from shakyo_desk.store.reporter import ReporterSession
from shakyo_desk.store.services import accounts, drops
from shakyo_desk.store.services.sheets import change_status, file_sheet, list_sheets
from shakyo_desk.store.store import unlock
from tests.store.conftest import PASSPHRASE

REPORTER_PASS = "reporter passphrase"
NEW_PASS = "a new reporter passphrase"
COORD_PASS = "coord passphrase"


def later() -> float:
    """A pinned clock for the unlock throttle: a minute after the wrong try at 1000.0."""
    return 1100.0


@pytest.fixture
def council(store):
    coord_id = accounts.add_account(store, "coord", "調整 花子", "coordinator", COORD_PASS, kdf=FAST_KDF)
    reporter_id = accounts.add_account(store, "rep", "報告 次郎", "reporter", REPORTER_PASS, kdf=FAST_KDF)
    drops.publish(store)
    root = store.layout.root
    store.close()
    return root, coord_id, reporter_id


def _drop(reporter, hint: str) -> str:
    return file_sheet(reporter, household_hint=hint, concerns=[reporter.concern_names()[0]], urgency="早め")


def test_a_reporter_changes_their_passphrase_and_keeps_their_sheets(council):
    root, _coord, reporter_id = council
    reporter = unlock(root, "rep", REPORTER_PASS)
    filed = _drop(reporter, "北町の角の家")
    coordinator = unlock(root, "coord", COORD_PASS)  # files it
    change_status(coordinator, filed, "確認中")  # a status file, sealed to the reporter's present pair
    coordinator.close()
    waiting = _drop(reporter, "南の坂の家")  # not filed yet
    old_public = KeyFile.load(root / "keys.json").public_key("rep")

    accounts.change_passphrase(reporter, REPORTER_PASS, NEW_PASS, FAST_KDF)

    keys = KeyFile.load(root / "keys.json")
    assert keys.is_reporter("rep") and keys.public_key("rep") != old_public  # a new key pair
    assert "sealed" not in keys.accounts["rep"]  # still no way to the data key
    with pytest.raises(AuthError):
        unlock(root, "rep", REPORTER_PASS, clock=lambda: 1000.0)  # pinned: the wrong try's delay is over below
    with pytest.raises(AuthError):
        keys.open_private("rep", REPORTER_PASS)
    expected = {(filed, "確認中"), (waiting, dropbox.SUBMITTED)}
    assert {(s.id, s.status) for s in list_sheets(reporter)} == expected  # the same session, at once
    again = unlock(root, "rep", NEW_PASS, clock=later)
    assert isinstance(again, ReporterSession)
    assert {(s.id, s.status) for s in list_sheets(again)} == expected

    coordinator = unlock(root, "coord", COORD_PASS)  # files the waiting one: the sender's key is current
    try:
        assert not dropbox.quarantined(root), dropbox.quarantined(root)
        assert any("1件受け付けました" in n for n in coordinator.notices)
        assert {s.id: s.noticed_by for s in list_sheets(coordinator)} == {filed: reporter_id, waiting: reporter_id}
    finally:
        coordinator.close()
    # the council sealed the status files again to the new pair: the current key alone opens them
    new_private = KeyFile.load(root / "keys.json").open_private("rep", NEW_PASS)
    for sheet_id in (filed, waiting):
        data = (root / "dropbox" / "reporter" / "rep" / f"{sheet_id}.status").read_bytes()
        dropbox.open_sealed(data, KeyFile.load(root / "keys.json"), "rep", new_private, sender_must_hold_key=True)
    latest = unlock(root, "rep", NEW_PASS, clock=later)
    assert {(s.id, s.status) for s in list_sheets(latest)} == {(filed, "確認中"), (waiting, "受付")}


def test_a_wrong_current_passphrase_or_a_light_kdf_changes_nothing(council, monkeypatch):
    root, _coord, _rep = council
    reporter = unlock(root, "rep", REPORTER_PASS)
    before = (root / "keys.json").read_bytes()
    with pytest.raises(AuthError) as wrong:
        accounts.change_passphrase(reporter, "not my passphrase", NEW_PASS, FAST_KDF)
    assert wrong.value.message == "現在のパスフレーズが違います。もう一度入力してください。"
    with pytest.raises(InvalidInput):
        accounts.change_passphrase(reporter, REPORTER_PASS, REPORTER_PASS, FAST_KDF)
    monkeypatch.delenv(ENV_TEST_SUITE)  # as on a council's PC
    with pytest.raises(InvalidInput, match="試験専用"):
        accounts.change_passphrase(reporter, REPORTER_PASS, NEW_PASS, FAST_KDF)
    assert (root / "keys.json").read_bytes() == before
    assert isinstance(unlock(root, "rep", REPORTER_PASS), ReporterSession)


def test_the_change_keeps_what_others_wrote_to_keys_json_meanwhile(council):
    root, _coord, _rep = council
    reporter = unlock(root, "rep", REPORTER_PASS)  # holds keys.json as it was at this unlock
    admin = unlock(root, "admin", PASSPHRASE)
    accounts.add_account(admin, "coord2", "調整 二郎", "coordinator", "coord2 passphrase", kdf=FAST_KDF)
    drops.publish(admin)
    admin.close()
    accounts.change_passphrase(reporter, REPORTER_PASS, NEW_PASS, FAST_KDF)
    keys = KeyFile.load(root / "keys.json")
    assert "coord2" in keys.accounts and "coord2" in keys.drop_to
    coord2 = unlock(root, "coord2", "coord2 passphrase")
    coord2.close()
    sheet = _drop(reporter, "川沿いの家")  # sealed to the second coordinator too
    assert "coord2" in json.loads((root / "dropbox" / f"{sheet}.sheet").read_text())["to"]


def test_a_reporters_signing_key_follows_the_new_pair(council):
    root, coord_id, _rep = council
    unlock(root, "coord", COORD_PASS).close()  # a council unlock gives the account its signing key
    admin = unlock(root, "admin", PASSPHRASE)
    accounts.update_account(admin, coord_id, role="reporter")  # a coordinator's signing key stays in the entry
    admin.close()
    before = KeyFile.load(root / "keys.json")
    assert before.signing_public("coord")
    session = unlock(root, "coord", COORD_PASS)
    assert isinstance(session, ReporterSession)
    signing = before.open_signing_key("coord", before.open_private("coord", COORD_PASS))
    accounts.change_passphrase(session, COORD_PASS, NEW_PASS, FAST_KDF)
    after = KeyFile.load(root / "keys.json")
    assert after.signing_public("coord") == before.signing_public("coord")
    assert after.open_signing_key("coord", after.open_private("coord", NEW_PASS)) == signing


def test_drops_an_interrupted_change_left_behind_are_sealed_again_at_the_next_unlock(council, monkeypatch):
    root, _coord, reporter_id = council
    reporter = unlock(root, "rep", REPORTER_PASS)
    sheet = _drop(reporter, "北町の角の家")
    monkeypatch.setattr(ReporterSession, "reseal_own_drops", lambda self: 0)  # stopped after keys.json
    accounts.change_passphrase(reporter, REPORTER_PASS, NEW_PASS, FAST_KDF)
    monkeypatch.undo()
    again = unlock(root, "rep", NEW_PASS)
    assert [s.id for s in list_sheets(again)] == [sheet]
    coordinator = unlock(root, "coord", COORD_PASS)
    try:
        assert not dropbox.quarantined(root)
        assert [s.noticed_by for s in list_sheets(coordinator)] == [reporter_id]
    finally:
        coordinator.close()


# ---- the drop box's files set aside, as the 把握シート screen deals with them ------------------


def test_quarantined_files_are_listed_put_back_and_deleted_by_name_only(council):
    root, _coord, _rep = council
    reporter = unlock(root, "rep", REPORTER_PASS)
    sheet = _drop(reporter, "北町の角の家")
    path = root / "dropbox" / f"{sheet}.sheet"
    original = path.read_bytes()
    path.write_bytes(original.replace(b'"kind"', b'"kinda"'))
    (root / "dropbox" / "junk.sheet").write_bytes(b"junk")
    coordinator = unlock(root, "coord", COORD_PASS)
    try:
        assert drops.waiting_count(coordinator) == 0
        listed = drops.list_quarantined(coordinator)
        assert sorted(q.reason for q in listed) == [dropbox.NOT_A_DROP] * 2
        assert all(q.set_aside_at is not None for q in listed)
        for name in ("../keys.json", "../../store/keys.json", "", f"{listed[0].name}.txt"):
            with pytest.raises(dropbox.DropError):
                drops.delete_quarantined(coordinator, name)
        assert (root / "keys.json").exists()
        broken = next(q.name for q in listed if q.name.endswith(f"{sheet}.sheet"))
        (root / "dropbox" / "quarantine" / broken).write_bytes(original)
        assert drops.retry_quarantined(coordinator, broken).filed == [sheet]
        junk = next(q.name for q in drops.list_quarantined(coordinator))
        drops.delete_quarantined(coordinator, junk)
        assert drops.list_quarantined(coordinator) == []
        assert not list((root / "dropbox" / "quarantine").iterdir())
    finally:
        coordinator.close()
