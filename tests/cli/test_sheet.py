"""`sheet add` (CLI.md): file a 困っている家庭把握シート; refusals change nothing."""

import json
from datetime import date, timedelta

import pytest

from shakyo_desk.store.services import districts, sheets
from tests.cli.conftest import assert_one_japanese_line
from tests.cli.records_helpers import add_account, opened
from shakyo_desk.domain import clock

TODAY = clock.today()


def stored_sheets(store_dir):
    with opened(store_dir) as store:
        return [sheets.get_sheet(store, s.id) for s in sheets.list_sheets(store, limit=None)]


def test_add_prints_only_the_id(cli, household, store_dir):
    code, out, err = cli("sheet", "add", "--household", household, "--concern", "介護", "--urgency", "早め",
                         "--note", "足が弱って買い物に行けない様子")
    assert code == 0, err
    [s] = stored_sheets(store_dir)
    assert s.id == out.strip()
    assert s.household_id == household and s.household_name == "山田 花子"
    assert s.concerns == ("介護",) and s.urgency == "早め"
    assert s.situation == "足が弱って買い物に行けない様子"
    assert s.status == "受付" and s.noticed_on == TODAY
    assert [h.status for h in s.history] == ["受付"]


def test_add_json_and_options(cli, household, store_dir):
    noticed = (TODAY - timedelta(days=2)).isoformat()
    code, out, err = cli("sheet", "add", "--household", household, "--concern", "介護", "--concern", "金銭管理",
                         "--urgency", "緊急", "--note", "請求書が溜まっている", "--setting", "訪問",
                         "--wish", "希望あり", "--date", noticed, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc) == ["id"]
    [s] = stored_sheets(store_dir)
    assert s.id == doc["id"]
    assert s.concerns == ("介護", "金銭管理") and s.urgency == "緊急"
    assert s.setting == "訪問" and s.wish_for_help == "希望あり"
    assert s.noticed_on == date.fromisoformat(noticed)


def test_reporter_files_a_sheet_about_an_unregistered_household(cli, district, store_dir):
    add_account(store_dir, "care", "reporter")
    code, out, err = cli("sheet", "add", "--hint", "駅前の高橋さん（80代の女性）", "--concern", "孤立",
                         "--urgency", "見守り", "--note", "最近デイサービスを休みがち", user="care")
    assert code == 0, err
    [s] = stored_sheets(store_dir)  # the coordinator (admin) sees it in the inbox
    assert s.id == out.strip()
    assert s.household_id is None and s.household_hint == "駅前の高橋さん（80代の女性）"
    assert s.noticed_by_name == "care さん"


def test_reporter_may_name_a_household(cli, household, store_dir):
    add_account(store_dir, "care", "reporter")
    code, _, err = cli("sheet", "add", "--household", household, "--concern", "介護", "--urgency", "早め",
                       "--note", "x", user="care")
    assert code == 0, err
    assert stored_sheets(store_dir)[0].household_id == household


@pytest.mark.parametrize("extra", [
    ["--concern", "宇宙人", "--urgency", "早め"],  # unknown concern
    ["--concern", "介護", "--urgency", "そのうち"],  # unknown urgency
    ["--concern", "介護", "--urgency", "早め", "--wish", "たぶん"],
    ["--concern", "介護", "--urgency", "早め", "--setting", "夢の中"],
    ["--concern", "介護", "--urgency", "早め", "--date", (TODAY + timedelta(days=1)).isoformat()],
    ["--concern", "介護", "--urgency", "早め", "--date", "昨日"],
])
def test_bad_input_changes_nothing(cli, household, store_dir, extra):
    code, out, err = cli("sheet", "add", "--household", household, "--note", "x", *extra)
    assert code == 2 and out == ""
    assert_one_japanese_line(err)
    assert stored_sheets(store_dir) == []


def test_concern_and_urgency_are_required(cli, household, store_dir):
    code, _, err = cli("sheet", "add", "--household", household, "--urgency", "早め", "--note", "x")
    assert code == 2 and "--concern" in err
    code, _, err = cli("sheet", "add", "--household", household, "--concern", "介護", "--note", "x")
    assert code == 2 and "--urgency" in err
    assert stored_sheets(store_dir) == []


def test_household_or_hint(cli, household, store_dir):
    code, _, err = cli("sheet", "add", "--concern", "介護", "--urgency", "早め", "--note", "x")
    assert code == 2
    assert_one_japanese_line(err)
    code, _, _ = cli("sheet", "add", "--household", household, "--hint", "誰か", "--concern", "介護",
                     "--urgency", "早め", "--note", "x")
    assert code == 2
    assert stored_sheets(store_dir) == []


def test_unknown_household(cli, district, store_dir):
    code, _, err = cli("sheet", "add", "--household", "00000000-0000-0000-0000-000000000000", "--concern", "介護",
                       "--urgency", "早め", "--note", "x")
    assert code == 3
    assert_one_japanese_line(err)
    assert stored_sheets(store_dir) == []


def test_staff_outside_their_district_refused(cli, household, store_dir):
    with opened(store_dir) as store:
        other = districts.find_district(store, "下町").id
    add_account(store_dir, "tanaka", "staff", [other])
    code, out, err = cli("sheet", "add", "--household", household, "--concern", "介護", "--urgency", "早め",
                         "--note", "x", user="tanaka")
    assert code == 4 and out == ""
    assert_one_japanese_line(err)
    assert stored_sheets(store_dir) == []
    # …but anyone may report an unregistered household by a hint
    code, _, err = cli("sheet", "add", "--hint", "川向の空き家の隣", "--concern", "孤立", "--urgency", "見守り",
                       "--note", "x", user="tanaka")
    assert code == 0, err
