"""Issue 19 commands: tie add/list/end, supporter add/list, activity add/list, community-issue
list/add/status with status, response and evidence counts — as ../shared/CLI.md lists them."""

import json
from datetime import timedelta

from shakyo_desk.domain import clock
from tests.cli.conftest import assert_one_japanese_line


def _ok(cli, *argv):
    code, out, err = cli(*argv)
    assert code == 0, err
    return out.strip()


def test_community_work_through_the_command_line(cli, household):
    today = clock.today()
    tie = _ok(cli, "tie", "add", "--household", household, "--supporter", "隣の 田中/住民", "--kind", "見守り",
              "--frequency", "毎朝", "--since", (today - timedelta(days=100)).isoformat())
    listed = json.loads(_ok(cli, "tie", "list", "--district", "上町", "--format", "json"))
    assert [(t["id"], t["supporter"], t["supporter_kind"], t["frequency"]) for t in listed["ties"]] == [
        (tie, "隣の 田中", "住民", "毎朝")]
    for argv, words in (
        (("tie", "add", "--household", household, "--supporter", "誰か/宇宙人", "--kind", "見守り"), "支え手の立場"),
        (("tie", "add", "--household", household, "--supporter", "誰か/住民", "--kind", "占い"), "支え合いの種類"),
        (("tie", "add", "--household", household, "--supporter", "名前だけ", "--kind", "見守り"), "名前/立場"),
        (("tie", "end", tie, "--date", (today - timedelta(days=200)).isoformat()), "始まった日より前"),
        (("activity", "add", "--type", "学習会", "--date", (today + timedelta(days=1)).isoformat(),
          "--district", "上町"), "未来"),
        (("activity", "add", "--type", "学習会", "--date", today.isoformat(), "--community-issue", "ない課題"),
         "台帳にありません"),
    ):
        code, _, err = cli(*argv)
        assert code != 0 and words in err, err
        assert_one_japanese_line(err)
    assert "終了" in _ok(cli, "tie", "end", tie)
    assert json.loads(_ok(cli, "tie", "list", "--format", "json"))["ties"] == []

    helper = _ok(cli, "supporter", "add", "--name", "架空 支子", "--district", "上町", "--can", "ごみ出し",
                 "--contact-consent")
    supporters = json.loads(_ok(cli, "supporter", "list", "--format", "json"))
    assert [(s["id"], s["contact_consent"]) for s in supporters["supporters"]] == [(helper, True)]
    assert {c["district"]: c["supporters"] for c in supporters["counts"]} == {"上町": 1, "下町": 0, "社協全体": 1}
    _ok(cli, "tie", "add", "--household", household, "--supporter-id", helper, "--kind", "ごみ出し")

    issue = _ok(cli, "community-issue", "add", "--title", "買い物の足がない", "--district", "上町")
    _ok(cli, "activity", "add", "--type", "地域懇談会", "--date", today.isoformat(), "--district", "上町",
        "--participants", "15", "--community-issue", "買い物の足がない")
    [activity] = json.loads(_ok(cli, "activity", "list", "--format", "json"))["activities"]
    assert (activity["title"], activity["participants"], activity["issue_ids"]) == ("上町 地域懇談会", 15, [issue])
    _ok(cli, "community-issue", "status", issue, "--status", "取組中", "--response", "移動販売の実証")
    [entry] = json.loads(_ok(cli, "community-issue", "list", "--format", "json"))["issues"]
    assert (entry["status"], entry["response"], entry["activity_count"], entry["case_count"]) == (
        "取組中", "移動販売の実証", 1, 0)
    assert "地域活動1件" in _ok(cli, "community-issue", "list")
    _ok(cli, "check")  # the store with the new records is sound


def test_the_register_printed_from_the_command_line(cli, household, tmp_path):
    import io

    from pypdf import PdfReader

    _ok(cli, "community-issue", "add", "--title", "買い物の足がない", "--district", "上町")
    out = tmp_path / "地域課題.pdf"
    assert "地域課題 1件" in _ok(cli, "community-issue", "list", "--out", str(out))
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "地域課題の一覧" in text and "買い物の足がない" in text and "山田" not in text
    code, _, err = cli("community-issue", "list", "--out", str(tmp_path / "ない" / "x.pdf"))
    assert code != 0 and "フォルダ" in err
    assert_one_japanese_line(err)
    assert "地域課題の一覧（PDF）の出力" in _ok(cli, "audit", "list")
