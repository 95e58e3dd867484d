"""`contact add` (CLI.md): record an outreach contact; refusals change nothing."""

import json
from datetime import date, timedelta

import pytest

from shakyo_desk.store.services import contacts, districts, places
from tests.cli.conftest import assert_one_japanese_line
from tests.cli.records_helpers import add_account, opened
from shakyo_desk.domain import clock

TODAY = clock.today()
DAY = (TODAY - timedelta(days=3)).isoformat()


def stored_contacts(store_dir, household_id=None):
    with opened(store_dir) as store:
        return contacts.list_contacts(store, household_id=household_id, limit=None)


def test_add_prints_only_the_id(cli, household, store_dir):
    code, out, err = cli("contact", "add", "--household", household, "--method", "訪問", "--date", DAY,
                         "--note", "玄関先で元気に話せた")
    assert code == 0, err
    contact_id = out.strip()
    [c] = stored_contacts(store_dir, household)
    assert c.id == contact_id
    assert (c.method, c.contact_date, c.seen_heard) == ("訪問", date.fromisoformat(DAY), "玄関先で元気に話せた")
    assert c.staff_name  # the acting account


def test_add_json_and_every_option(cli, household, store_dir):
    next_day = (TODAY + timedelta(days=14)).isoformat()
    code, out, err = cli("contact", "add", "--household", household, "--method", "電話", "--date", DAY,
                         "--note", "食欲がないと話していた", "--concern", "病気・健康", "--concern", "孤立",
                         "--urgency", "早め", "--next-date", next_day, "--next-action", "通院の様子を聞く",
                         "--time", "9:05", "--with", "民生委員", "--with", "保健師", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc) == ["id"]
    [c] = stored_contacts(store_dir, household)
    assert c.id == doc["id"]
    assert c.concerns == ("病気・健康", "孤立")
    assert c.urgency == "早め" and c.next_action == "通院の様子を聞く"
    assert c.next_contact_date == date.fromisoformat(next_day)
    assert c.contact_time == "09:05"
    assert c.companions == ("民生委員", "保健師")


def test_failed_attempt(cli, household, store_dir):
    code, _, err = cli("contact", "add", "--household", household, "--method", "不在", "--date", DAY, "--note", "")
    assert code == 0, err
    assert stored_contacts(store_dir, household)[0].failed


def test_community_contact_at_a_place(cli, district, store_dir):
    with opened(store_dir) as store:
        place_id = places.add_place(store, "よろず屋", "店", district)
    code, out, err = cli("contact", "add", "--place", place_id, "--method", "立ち寄り", "--date", DAY,
                         "--note", "最近Aさんを見かけないと店主から")
    assert code == 0, err
    [c] = stored_contacts(store_dir)
    assert c.id == out.strip() and c.place_name == "よろず屋" and c.household_id is None


@pytest.mark.parametrize("extra, expected_code", [
    (["--method", "訪問", "--date", (TODAY + timedelta(days=1)).isoformat()], 2),  # future date
    (["--method", "訪問", "--date", DAY, "--next-date", (TODAY - timedelta(days=10)).isoformat()], 2),
    (["--method", "伝書鳩", "--date", DAY], 2),  # unknown method
    (["--method", "訪問", "--date", DAY, "--concern", "宇宙人"], 2),  # unknown concern
    (["--method", "訪問", "--date", "2025/04/01"], 2),  # not an ISO date
    (["--method", "訪問", "--date", DAY, "--time", "25時"], 2),
    (["--method", "訪問", "--date", DAY, "--urgency", "すぐ"], 2),
])
def test_bad_input_changes_nothing(cli, household, store_dir, extra, expected_code):
    code, out, err = cli("contact", "add", "--household", household, "--note", "メモ", *extra)
    assert code == expected_code and out == ""
    assert_one_japanese_line(err)
    assert "Traceback" not in err
    assert stored_contacts(store_dir) == []


def test_messages_say_what_was_wrong(cli, household):
    future = (TODAY + timedelta(days=1)).isoformat()
    _, _, err = cli("contact", "add", "--household", household, "--method", "訪問", "--date", future, "--note", "x")
    assert "未来" in err
    _, _, err = cli("contact", "add", "--household", household, "--method", "訪問", "--date", DAY, "--note", "x",
                    "--concern", "宇宙人")
    assert "宇宙人" in err


def test_household_and_place_together_refused(cli, household, store_dir):
    code, _, err = cli("contact", "add", "--household", household, "--place", household, "--method", "訪問",
                       "--date", DAY, "--note", "x")
    assert code == 2
    assert_one_japanese_line(err)
    assert stored_contacts(store_dir) == []


def test_missing_required_options(cli, household):
    code, _, err = cli("contact", "add", "--household", household, "--method", "訪問", "--note", "x")
    assert code == 2 and "--date" in err


def test_unknown_household(cli, district, store_dir):
    code, _, err = cli("contact", "add", "--household", "00000000-0000-0000-0000-000000000000", "--method", "訪問",
                       "--date", DAY, "--note", "x")
    assert code == 3
    assert_one_japanese_line(err)


def test_staff_outside_their_district_refused(cli, household, store_dir):
    with opened(store_dir) as store:
        other = districts.find_district(store, "下町").id
    add_account(store_dir, "tanaka", "staff", [other])
    code, out, err = cli("contact", "add", "--household", household, "--method", "訪問", "--date", DAY,
                         "--note", "x", user="tanaka")
    assert code == 4 and out == ""
    assert_one_japanese_line(err)
    assert stored_contacts(store_dir) == []


def test_staff_in_their_district_may_record(cli, household, district, store_dir):
    add_account(store_dir, "tanaka", "staff", [district])
    code, out, err = cli("contact", "add", "--household", household, "--method", "訪問", "--date", DAY,
                         "--note", "x", user="tanaka")
    assert code == 0, err
    assert stored_contacts(store_dir)[0].staff_name == "tanaka さん"


def test_reporter_cannot_record_contacts(cli, household, store_dir):
    add_account(store_dir, "care", "reporter")
    code, _, err = cli("contact", "add", "--household", household, "--method", "訪問", "--date", DAY,
                       "--note", "x", user="care")
    assert code == 4
    assert stored_contacts(store_dir) == []
