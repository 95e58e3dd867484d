"""Issue 18 meeting commands through the command line: `meeting request` (受付表), `meeting requests`,
`meeting add-case` / `remove-case` on a recorded meeting with members for one case, `meeting add
… --topic` without a household, `meeting appoint` (委嘱). Bad input: one Japanese line, non-zero."""

import json
from datetime import timedelta

from shakyo_desk.domain import clock
from tests.cli.conftest import assert_one_japanese_line

TODAY = clock.today()
MEETING = (TODAY + timedelta(days=7)).isoformat()
PAST = (TODAY - timedelta(days=3)).isoformat()


def _ok(cli, *argv):
    code, out, err = cli(*argv)
    assert code == 0, err
    return out.strip()


def _refused(cli, *argv) -> str:
    code, out, err = cli(*argv)
    assert code != 0 and out == "", (out, err)
    assert_one_japanese_line(err)
    return err


def test_a_request_goes_into_a_meeting_with_its_own_member_and_comes_out_again(cli, household):
    case = _ok(cli, "case", "open", "--household", household)
    request = _ok(cli, "meeting", "request", "--case", case, "--type", "multi-agency", "--question", "通院の同行の分担",
                  "--agencies", "架空村地域包括支援センター", "--needed", "架空村保健センター")
    [waiting] = json.loads(_ok(cli, "meeting", "requests", "--type", "重層的支援会議", "--format", "json"))
    assert (waiting["id"], waiting["case_id"], waiting["question"]) == (request, case, "通院の同行の分担")
    assert waiting["agencies_needed"] == ["架空村保健センター"] and waiting["state"] == "受付中"
    assert json.loads(_ok(cli, "meeting", "requests", "--until", PAST, "--format", "json")) == []
    assert "通院の同行の分担" in _ok(cli, "meeting", "requests")

    meeting = _ok(cli, "meeting", "add", "--type", "multi-agency", "--date", MEETING, "--member", "田中 太郎/包括",
                  "--household", household, "--question", "見守りの分担")
    err = _refused(cli, "meeting", "add-case", meeting, "--request", request)
    assert "すでにこの会議で取り上げられています" in err  # the household is already on the agenda
    _ok(cli, "meeting", "remove-case", meeting, "--case", household)
    case_key = _ok(cli, "meeting", "add-case", meeting, "--request", request, "--member", "上町 民生委員/民生委員")
    shown = json.loads(_ok(cli, "meeting", "show", meeting, "--format", "json"))
    [added] = shown["cases"]
    assert (added["id"], added["request_id"], added["case_id"]) == (case_key, request, case)
    minsei = next(m for m in shown["members"] if m["name"] == "上町 民生委員")
    assert added["member_ids"] == [minsei["id"]]
    assert "このケースの構成員：上町 民生委員（民生委員）" in _ok(cli, "meeting", "show", meeting)
    assert json.loads(_ok(cli, "meeting", "requests", "--format", "json")) == []

    assert "外しました" in _ok(cli, "meeting", "remove-case", meeting, "--case", case)
    assert [r["id"] for r in json.loads(_ok(cli, "meeting", "requests", "--format", "json"))] == [request]
    err = _refused(cli, "meeting", "remove-case", meeting, "--case", case)
    assert "この会議で取り上げられていません" in err


def test_bad_requests_are_one_japanese_line(cli, household):
    case = _ok(cli, "case", "open", "--household", household)
    assert "会議の種類「総会」は分かりません" in _refused(
        cli, "meeting", "request", "--case", case, "--type", "総会", "--question", "検討")
    past = _ok(cli, "meeting", "add", "--type", "multi-agency", "--date", PAST, "--member", "田中/包括",
               "--household", household)
    assert "すでに開かれています" in _refused(
        cli, "meeting", "request", "--case", case, "--type", "multi-agency", "--question", "検討", "--meeting", past)
    _ok(cli, "meeting", "request", "--case", case, "--type", "multi-agency", "--question", "検討")
    assert "すでに受付中" in _refused(
        cli, "meeting", "request", "--case", case, "--type", "multi-agency", "--question", "もう一度")
    _ok(cli, "case", "close", case, "--reason", "転居", "--evaluation", "引き継いだ")
    assert "終結しているため" in _refused(
        cli, "meeting", "request", "--case", case, "--type", "support", "--question", "検討")


def test_a_topic_meeting_and_a_standing_appointment(cli, household):
    err = _refused(cli, "meeting", "add", "--type", "support", "--date", MEETING, "--member", "田中 太郎/包括")
    assert "テーマを入力してください" in err
    meeting = _ok(cli, "meeting", "add", "--type", "support", "--date", MEETING, "--member", "田中 太郎/包括",
                  "--member", "鈴木/役場", "--topic", "冬の移動手段の不足", "--body", "地域ケア会議")
    appointed = _ok(cli, "meeting", "appoint", "--name", "田中 太郎", "--org", "包括", "--type", "支援会議",
                    "--from", TODAY.isoformat(), "--to", (TODAY + timedelta(days=365)).isoformat(),
                    "--pledge-on", TODAY.isoformat(), "--format", "json")
    assert json.loads(appointed)["id"]
    shown = json.loads(_ok(cli, "meeting", "show", meeting, "--format", "json"))
    assert (shown["topic"], shown["body"], shown["cases"]) == ("冬の移動手段の不足", "地域ケア会議", [])
    tanaka = next(m for m in shown["members"] if m["name"] == "田中 太郎")
    assert tanaka["confidentiality_acknowledged_on"] is None and tanaka["appointed_until"] is not None
    text = _ok(cli, "meeting", "show", meeting)
    assert "テーマ：冬の移動手段の不足" in text and "委嘱中" in text and "鈴木（役場）　守秘義務の確認なし" in text
    assert "終了日が開始日より前" in _refused(
        cli, "meeting", "appoint", "--name", "佐藤", "--type", "support", "--from", MEETING, "--to",
        TODAY.isoformat(), "--pledge-on", TODAY.isoformat())


def test_a_meeting_collects_waiting_requests(cli, household):
    case = _ok(cli, "case", "open", "--household", household)
    request = _ok(cli, "meeting", "request", "--case", case, "--type", "support", "--question", "見守りの分担")
    meeting = _ok(cli, "meeting", "add", "--type", "support", "--date", MEETING, "--member", "田中/包括",
                  "--topic", "地域の見守り")
    assert "1件" in _ok(cli, "meeting", "collect", meeting)
    [case_row] = json.loads(_ok(cli, "meeting", "show", meeting, "--format", "json"))["cases"]
    assert case_row["request_id"] == request
    assert "ありませんでした" in _ok(cli, "meeting", "collect", meeting)
