import json
from datetime import timedelta

import pytest

from shakyo_desk.domain import clock
from shakyo_desk.store.check import PROBLEMS_FOR_ADMIN
from shakyo_desk.store.store import unlock
from tests.cli.conftest import PASSPHRASE


def test_check_sound(cli, household):
    code, out, err = cli("check")
    assert code == 0, err
    assert "異常は見つかりませんでした" in out and "世帯：1件" in out


def test_check_json(cli, household):
    code, out, _ = cli("check", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["sound"] is True and doc["problems"] == [] and doc["counts"]["household"] == 1


def test_check_finds_tampered_audit_row(cli, household, store_dir):
    store = unlock(store_dir, "admin", PASSPHRASE)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_log SET login = 'someone' WHERE id = 2")
    store.close()
    code, out, err = cli("check")
    assert code == 7 and out == ""
    assert "Traceback" not in err
    assert "異常" in err.splitlines()[0]
    assert any("監査ログ" in line for line in err.splitlines()[1:])


def test_check_json_when_unsound(cli, household, store_dir):
    store = unlock(store_dir, "admin", PASSPHRASE)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE household SET phone = '0000-99-9999'")
    store.close()
    code, out, err = cli("check", "--format", "json")
    assert code == 7
    doc = json.loads(out)
    assert doc["sound"] is False and any(household in p for p in doc["problems"])
    assert err


# ---- what each role is shown (issue 16) --------------------------------------------------------

STAFF_PASSPHRASE = "staff passphrase 1"
REPORTER_PASSPHRASE = "reporter passphrase 1"


@pytest.fixture
def council(cli, district, monkeypatch):
    """Households in two districts, a sheet and a meeting; a staff member of 上町 and a reporter."""
    for name, where in (("山田 花子", "上町"), ("佐藤 一郎", "上町"), ("鈴木 次郎", "下町")):
        code, out, err = cli("household", "add", "--district", where, "--name", name)
        assert code == 0, err
        households.append(out.strip())
    code, _, err = cli("sheet", "add", "--household", households[2], "--concern", "孤立", "--urgency", "見守り",
                       "--note", "下町の把握シート")
    assert code == 0, err
    code, _, err = cli("meeting", "add", "--type", "case-review", "--date", (clock.today() + timedelta(days=3)).isoformat(),
                       "--household", households[2], "--member", "架空 一郎/地域包括支援センター")
    assert code == 0, err
    for login, role, passphrase, extra in (("tanaka", "staff", STAFF_PASSPHRASE, ["--district", "上町"]),
                                           ("kaigo", "reporter", REPORTER_PASSPHRASE, [])):
        monkeypatch.setenv("SHAKYO_NEW_PASSPHRASE", passphrase)
        code, _, err = cli("account", "add", "--login", login, "--role", role, *extra)
        assert code == 0, err
    return households


households: list[str] = []


@pytest.fixture(autouse=True)
def _fresh_households():
    households.clear()


def check_as(cli, monkeypatch, login, passphrase, *options):
    monkeypatch.setenv("SHAKYO_PASSPHRASE", passphrase)
    try:
        return cli("check", *options, user=login)
    finally:
        monkeypatch.setenv("SHAKYO_PASSPHRASE", PASSPHRASE)


def test_an_admin_sees_every_count_under_the_documented_keys(cli, council):
    code, out, _ = cli("check", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["sound"] is True and doc["problems"] == [] and doc["scope"] == "council"
    assert doc["counts"]["household"] == 3 and doc["counts"]["concern_sheet"] == 1 and doc["counts"]["conference"] == 1
    assert doc["counts"]["audit_entries"] > 0 and doc["counts"]["changes"] > 0


def test_staff_see_only_the_households_of_their_districts(cli, council, monkeypatch):
    code, out, err = check_as(cli, monkeypatch, "tanaka", STAFF_PASSPHRASE, "--format", "json")
    assert code == 0, err
    assert json.loads(out) == {"sound": True, "problems": [], "counts": {"household": 2, "person": 2},
                               "scope": "districts"}
    code, out, _ = check_as(cli, monkeypatch, "tanaka", STAFF_PASSPHRASE)
    assert code == 0
    assert out.splitlines() == ["検査の結果、異常は見つかりませんでした。", "  担当地区の世帯：2件", "  担当地区の世帯員：2件"]


def test_a_reporter_sees_only_whether_the_store_is_sound(cli, council, monkeypatch):
    code, out, err = check_as(cli, monkeypatch, "kaigo", REPORTER_PASSPHRASE, "--format", "json")
    assert code == 0, err
    assert json.loads(out) == {"sound": True, "problems": [], "counts": {}, "scope": "none"}
    code, out, _ = check_as(cli, monkeypatch, "kaigo", REPORTER_PASSPHRASE)
    assert code == 0 and out == "検査の結果、異常は見つかりませんでした。\n"


# A reporter holds no data key (issue 16): the database's problems are not theirs to see.
@pytest.mark.parametrize("login, passphrase", [("tanaka", STAFF_PASSPHRASE)])
def test_problems_are_one_sentence_for_staff_and_reporters(cli, council, store_dir, monkeypatch, login, passphrase):
    store = unlock(store_dir, "admin", PASSPHRASE)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE household SET phone = '0000-99-9999'")
    store.close()
    code, out, err = check_as(cli, monkeypatch, login, passphrase, "--format", "json")
    doc = json.loads(out)
    assert code == 7 and doc["sound"] is False and doc["scope"] == ("districts" if login == "tanaka" else "none")
    assert doc["problems"] == [PROBLEMS_FOR_ADMIN]
    assert not any(h in out + err for h in council)
    code, out, err = check_as(cli, monkeypatch, login, passphrase)
    assert code == 7 and out == "" and err == PROBLEMS_FOR_ADMIN + "\n"
    code, out, err = cli("check", "--format", "json")  # the administrator sees which records
    assert code == 7 and all(any(h in p for p in json.loads(out)["problems"]) for h in council)
