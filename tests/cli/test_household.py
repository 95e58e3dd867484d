import json

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import accounts, households
from shakyo_desk.store.store import unlock
from tests.cli.conftest import PASSPHRASE, assert_one_japanese_line

UUID_LEN = 36


def read_back(store_dir, household_id):
    store = unlock(store_dir, "admin", PASSPHRASE)
    try:
        return households.get_household(store, household_id, log=False)
    finally:
        store.close()


def test_add_prints_only_the_id(cli, household, store_dir):
    assert len(household) == UUID_LEN and household.count("-") == 4
    h = read_back(store_dir, household)
    assert h.head_name == "山田 花子" and h.district == "上町" and h.phone == "0123-45-6789"
    assert h.members[0].kana == "ヤマダ ハナコ"


def test_add_json(cli, district):
    code, out, err = cli("household", "add", "--district", "下町", "--name", "佐藤 一郎", "--flags", "一人暮らし高齢者",
                         "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"id"} and len(doc["id"]) == UUID_LEN


def test_add_unknown_district(cli, district):
    code, out, err = cli("household", "add", "--district", "存在しない町", "--name", "山田 花子")
    assert code == 3 and out == ""
    assert_one_japanese_line(err)
    assert "存在しない町" in err


def test_add_bad_phone_changes_nothing(cli, district, store_dir):
    code, _, err = cli("household", "add", "--district", "上町", "--name", "山田 花子", "--phone", "abc")
    assert code == 2
    assert_one_japanese_line(err)
    code, out, _ = cli("household", "list", "--format", "json")
    assert json.loads(out) == []


def test_wrong_passphrase(cli, household, monkeypatch):
    monkeypatch.setenv("SHAKYO_PASSPHRASE", "not the passphrase")
    code, out, err = cli("household", "list")
    assert code == 5 and out == ""
    assert_one_japanese_line(err)


def test_unknown_account(cli, household):
    code, out, err = cli("household", "list", user="nobody")
    assert code == 5 and out == ""
    assert_one_japanese_line(err)


def test_list_json_shape(cli, household):
    cli("household", "add", "--district", "下町", "--name", "佐藤 一郎", "--kana", "サトウ イチロウ")
    code, out, err = cli("household", "list", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert isinstance(rows, list) and len(rows) == 2
    for row in rows:
        assert {"id", "code", "name", "kana", "district", "address", "phone", "flags", "members"} <= set(row)
    yamada = next(r for r in rows if r["id"] == household)
    assert yamada == {**yamada, "name": "山田 花子", "kana": "ヤマダ ハナコ", "district": "上町",
                      "address": "架空村上町1-2", "phone": "0123-45-6789", "flags": [], "members": 1}


def test_list_search_is_kana_insensitive(cli, household):
    cli("household", "add", "--district", "下町", "--name", "佐藤 一郎", "--kana", "サトウ イチロウ")
    code, out, _ = cli("household", "list", "--search", "やまだ", "--format", "json")
    assert code == 0
    assert [r["id"] for r in json.loads(out)] == [household]


def test_list_by_district(cli, household):
    cli("household", "add", "--district", "下町", "--name", "佐藤 一郎")
    code, out, _ = cli("household", "list", "--district", "下町", "--format", "json")
    assert [r["name"] for r in json.loads(out)] == ["佐藤 一郎"]


def test_list_text(cli, household):
    code, out, _ = cli("household", "list")
    assert code == 0
    assert "山田 花子" in out and household in out and "1件" in out


def test_list_text_empty(cli, district):
    code, out, _ = cli("household", "list")
    assert code == 0 and "ありません" in out


def test_show_json_shape(cli, household):
    code, out, err = cli("household", "show", household, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["id"] == household and doc["district"] == "上町" and doc["name"] == "山田 花子"
    for key in ("contacts", "sheets", "conflicts", "follow_ups"):
        assert doc[key] == []
    assert len(doc["members"]) == 1
    member = doc["members"][0]
    assert member["name"] == "山田 花子" and len(member["id"]) == UUID_LEN
    assert doc["created_at"]  # ISO text


def test_show_text_uses_wareki(cli, household):
    code, out, _ = cli("household", "show", household)
    assert code == 0
    assert "山田 花子" in out and "令和" in out and "上町" in out


def test_show_unknown_id(cli, district):
    code, out, err = cli("household", "show", "00000000-0000-0000-0000-000000000000")
    assert code == 3 and out == ""
    assert_one_japanese_line(err)


def test_set_fields(cli, household, store_dir):
    code, out, err = cli("household", "set", household, "phone=0120-00-0000", "notes=夕方に訪問", "district=下町",
                         "flags=一人暮らし高齢者,高齢者のみ", "watch_level=高", "watch_interval_days=14",
                         "housing_type=公営住宅", "welfare_commissioner=民生 委員", "address=架空村下町3")
    assert code == 0, err
    assert "変更しました" in out
    h = read_back(store_dir, household)
    assert (h.phone, h.notes, h.district, h.watch_level, h.watch_interval_days) == (
        "0120-00-0000", "夕方に訪問", "下町", "高", 14)
    assert h.flags == ("一人暮らし高齢者", "高齢者のみ")
    assert (h.housing_type, h.welfare_commissioner, h.address) == ("公営住宅", "民生 委員", "架空村下町3")


def test_set_json_and_clearing(cli, household, store_dir):
    code, out, err = cli("household", "set", household, "phone=", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["id"] == household and doc["changed"] == {"phone": ""}
    assert doc["household"]["phone"] == ""
    assert read_back(store_dir, household).phone == ""


def test_set_same_value_reports_no_change(cli, household):
    code, out, _ = cli("household", "set", household, "phone=0123-45-6789")
    assert code == 0 and "変更はありません" in out


def test_set_unknown_field_changes_nothing(cli, household, store_dir):
    code, out, err = cli("household", "set", household, "phone=0120-00-0000", "colour=red")
    assert code == 2 and out == ""
    assert_one_japanese_line(err)
    assert "colour" in err
    assert read_back(store_dir, household).phone == "0123-45-6789"


def test_set_without_equals_changes_nothing(cli, household, store_dir):
    code, _, err = cli("household", "set", household, "phone=0120-00-0000", "notes")
    assert code == 2
    assert_one_japanese_line(err)
    assert read_back(store_dir, household).phone == "0123-45-6789"


def test_set_bad_value_changes_nothing(cli, household, store_dir):
    code, _, err = cli("household", "set", household, "phone=0120-00-0000", "watch_level=とても高い")
    assert code == 2
    assert_one_japanese_line(err)
    assert read_back(store_dir, household).phone == "0123-45-6789"


def test_set_unknown_district_changes_nothing(cli, household, store_dir):
    code, _, err = cli("household", "set", household, "phone=0120-00-0000", "district=どこか")
    assert code == 3
    assert_one_japanese_line(err)
    h = read_back(store_dir, household)
    assert (h.phone, h.district) == ("0123-45-6789", "上町")


def test_set_empty_district_refused(cli, household, store_dir):
    code, _, err = cli("household", "set", household, "district=")
    assert code == 2
    assert_one_japanese_line(err)
    assert read_back(store_dir, household).district == "上町"


def test_set_unknown_household(cli, district):
    code, _, err = cli("household", "set", "00000000-0000-0000-0000-000000000000", "phone=1")
    assert code == 3
    assert_one_japanese_line(err)


def _staff_account(store_dir, district_ids=()):
    store = unlock(store_dir, "admin", PASSPHRASE)
    try:
        accounts.add_account(store, "tanaka", "田中 職員", "staff", PASSPHRASE, district_ids=list(district_ids), kdf=FAST_KDF)
    finally:
        store.close()


def test_staff_without_rights(cli, household, store_dir):
    _staff_account(store_dir)
    code, out, err = cli("household", "add", "--district", "上町", "--name", "鈴木 次郎", user="tanaka")
    assert code == 4 and out == ""
    assert_one_japanese_line(err)
    code, out, _ = cli("household", "list", "--format", "json", user="tanaka")
    assert code == 0 and json.loads(out) == []
    code, _, err = cli("household", "show", household, user="tanaka")
    assert code == 4
    assert_one_japanese_line(err)
    code, _, err = cli("household", "set", household, "phone=0120-00-0000", user="tanaka")
    assert code == 4
    assert read_back(store_dir, household).phone == "0123-45-6789"


def test_staff_sees_own_district_only(cli, household, district, store_dir):
    _staff_account(store_dir, [district])
    cli("household", "add", "--district", "下町", "--name", "佐藤 一郎")
    code, out, _ = cli("household", "list", "--format", "json", user="tanaka")
    assert [r["id"] for r in json.loads(out)] == [household]
    code, _, err = cli("household", "set", household, "district=下町", user="tanaka")
    assert code == 4
    assert read_back(store_dir, household).district == "上町"


def test_json_times_are_marked_utc(cli, household):
    doc = json.loads(cli("household", "show", household, "--format", "json")[1])
    assert doc["created_at"].endswith("+00:00")
