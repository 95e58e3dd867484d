"""Issue 18 commands: case open/list/show/assess/monitor/close/reopen, plan add, sheet assign,
community-issue list/add — as ../shared/CLI.md lists them."""

import json
from datetime import timedelta

from shakyo_desk.domain import clock
from shakyo_desk.store.services import agencies
from shakyo_desk.store.store import unlock
from tests.cli.conftest import PASSPHRASE, assert_one_japanese_line


def _agency(store_dir):
    store = unlock(store_dir, "admin", PASSPHRASE)
    try:
        agencies.add_agency(store, "架空村地域包括支援センター")
    finally:
        store.close()


def _ok(cli, *argv):
    code, out, err = cli(*argv)
    assert code == 0, err
    return out.strip()


def test_a_case_through_the_command_line(cli, household, store_dir):
    today = clock.today()
    review = (today + timedelta(days=30)).isoformat()
    _agency(store_dir)
    sheet = _ok(cli, "sheet", "add", "--household", household, "--concern", "介護", "--urgency", "早め", "--note", "物忘れ")
    assert "admin" in _ok(cli, "sheet", "assign", sheet, "--to", "admin")
    case = _ok(cli, "case", "open", "--household", household, "--sheet", sheet, "--assignee", "admin",
               "--lead-agency", "架空村地域包括支援センター")
    code, _, err = cli("case", "open", "--household", household, "--sheet", sheet)
    assert code != 0 and "すでに支援ケース" in err
    assert_one_japanese_line(err)
    _ok(cli, "case", "assess", case, "--by", "架空 民生/民生委員", "--problem", "買い物に行けない", "--strength", "明るい")
    goal = json.loads(_ok(cli, "plan", "add", case, "--goal", "週1回買い物に行ける",
                          "--action", "架空村地域包括支援センター/介護保険の申請", "--action", "住民:隣の田中さん/送迎",
                          "--review", review, "--missing", "移動販売", "--format", "json"))["id"]
    code, _, err = cli("plan", "add", case, "--goal", "x", "--action", "存在しない機関/何か", "--review", review)
    assert code != 0 and "関係機関の一覧にも職員にもありません" in err
    code, _, err = cli("plan", "add", case, "--goal", "x", "--review", (today - timedelta(days=1)).isoformat())
    assert code != 0 and "過去の日付" in err
    _ok(cli, "case", "monitor", case, "--goal", goal, "--date", today.isoformat(), "--progress", "partly",
        "--note", "2回行けた", "--next-review", review)
    code, _, err = cli("case", "monitor", case, "--goal", goal, "--date", (today - timedelta(days=5)).isoformat(),
                       "--progress", "partly")
    assert code != 0 and "プランを作った日" in err

    shown = json.loads(_ok(cli, "case", "show", case, "--format", "json"))
    assert shown["summary"]["status"] == "モニタリング"
    [plan] = shown["plans"]
    assert plan["goals"][0]["actions"][1]["who_kind"] == "resident" and plan["missing_resources"] == ["移動販売"]
    text = _ok(cli, "case", "show", case)
    assert "支援プラン 第1版" in text and "買い物に行けない" in text
    listed = json.loads(_ok(cli, "case", "list", "--status", "open", "--format", "json"))["cases"]
    assert [c["id"] for c in listed] == [case]
    assert json.loads(_ok(cli, "case", "list", "--review-due", "--format", "json"))["cases"] == []

    _ok(cli, "case", "close", case, "--reason", "達成", "--evaluation", "買い物に行けるようになった",
        "--community-issue", "移動手段がない")
    code, _, err = cli("plan", "add", case, "--goal", "x", "--review", review)
    assert code != 0 and "終結" in err
    issues = json.loads(_ok(cli, "community-issue", "list", "--format", "json"))["issues"]
    assert [i["title"] for i in issues] == ["移動手段がない"] and issues[0]["case_ids"] == [case]
    _ok(cli, "community-issue", "add", "--title", "空き家が多い", "--district", "上町")
    _ok(cli, "case", "reopen", case)
    assert json.loads(_ok(cli, "case", "show", case, "--format", "json"))["summary"]["status"] == "アセスメント"
    assert _ok(cli, "check").strip()


def test_refusals_are_one_japanese_sentence_and_change_nothing(cli, household, store_dir):
    sheet = _ok(cli, "sheet", "add", "--household", household, "--concern", "介護", "--urgency", "早め", "--note", "x")
    for argv, words in (
        (("sheet", "assign", sheet, "--to", "nobody"), "見つからないか"),
        (("case", "open", "--household", household, "--lead-agency", "存在しない機関"), "関係機関の一覧にありません"),
        (("case", "open", "--household", household, "--assignee", "nobody"), "見つからないか"),
        (("community-issue", "add", "--title", "x", "--district", "存在しない地区"), "登録されていません"),
    ):
        code, out, err = cli(*argv)
        assert code != 0 and words in err, err
        assert_one_japanese_line(err)
    assert json.loads(_ok(cli, "case", "list", "--format", "json"))["cases"] == []
    assert json.loads(_ok(cli, "community-issue", "list", "--format", "json"))["issues"] == []
    assert "ありません" in _ok(cli, "case", "list")
