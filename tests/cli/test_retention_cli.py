"""`retention list|purge` from the command line: admin only, --yes required, refusals change nothing."""

import json
from datetime import date

import pytest

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import accounts
from tests.cli.conftest import PASSPHRASE, assert_one_japanese_line
from tests.store.test_retention import SECRET, _all_text, closed_case


@pytest.fixture(autouse=True)
def _on_a_day_past_retention(pin_today):
    pin_today(date(2026, 12, 5))  # the closed cases of 2019 are past five years' retention


def _council(store_dir):
    from shakyo_desk.store.services import districts
    from shakyo_desk.store.store import unlock

    store = unlock(store_dir, "admin", PASSPHRASE)
    try:
        district = districts.add_district(store, "上町", "かみまち")
        old = closed_case(store, district, "架空 古子", "カクウ フルコ", date(2019, 6, 1))
        accounts.add_account(store, "coord", "調整 花子", "coordinator", PASSPHRASE, kdf=FAST_KDF)
        return old
    finally:
        store.close()


def test_list_then_purge_with_yes(cli, initialised):
    old = _council(initialised)
    code, out, err = cli("retention", "list", "--format", "json")
    assert code == 0, err
    [listed] = json.loads(out)["households"]
    assert listed["id"] == old and listed["records"] == 6 and listed["last_activity"] == "2019-06-01"

    code, out, err = cli("retention", "purge", old)
    assert code == 2 and "--yes" in err and out == ""
    assert_one_japanese_line(err)
    code, out, err = cli("retention", "purge", old, "--yes", user="coord")
    assert code == 4 and "管理者だけ" in err

    from shakyo_desk.store.store import unlock

    store = unlock(initialised, "admin", PASSPHRASE)
    try:
        assert SECRET in _all_text(store)  # nothing changed by the refusals
    finally:
        store.close()
    code, out, err = cli("retention", "purge", old, "--yes")
    assert code == 0, err
    assert "1世帯（6件の記録）を消去しました" in out
    code, out, _ = cli("retention", "list")
    assert code == 0 and "保存期間を過ぎた世帯はありません" in out
    code, out, err = cli("check")
    assert code == 0, err
