"""`sheet status SHEET_ID --to STATUS` (../shared/CLI.md): a 把握シート moved along the workflow,
each change dated and attributed; a status that does not exist or a move the workflow does not
allow is refused with one Japanese sentence and nothing changes."""

import json

from shakyo_desk.store.services import agencies, referrals, sheets
from shakyo_desk.store.store import unlock
from tests.cli.conftest import PASSPHRASE, assert_one_japanese_line

AGENCY = "架空村地域包括支援センター"


def _ok(cli, *argv):
    code, out, err = cli(*argv)
    assert code == 0, err
    return out.strip()


def _status(store_dir, sheet_id):
    store = unlock(store_dir, "admin", PASSPHRASE)
    try:
        sheet = sheets.get_sheet(store, sheet_id)
        return sheet.status, [h.status for h in sheet.history]
    finally:
        store.close()


def _referrals(store_dir, sheet_id):
    store = unlock(store_dir, "admin", PASSPHRASE)
    try:
        return referrals.list_referrals(store, sheet_id=sheet_id)
    finally:
        store.close()


def test_a_sheet_moves_along_and_each_step_is_kept(cli, household, store_dir):
    sheet = _ok(cli, "sheet", "add", "--household", household, "--concern", "介護", "--urgency", "早め",
                "--note", "物忘れが増えた")
    assert _status(store_dir, sheet) == ("受付", ["受付"])
    assert "「確認中」" in _ok(cli, "sheet", "status", sheet, "--to", "確認中", "--note", "民生委員に様子を聞いた")
    shown = json.loads(_ok(cli, "sheet", "status", sheet, "--to", "対応中", "--format", "json"))
    assert shown == {"id": sheet, "status": "対応中"}
    assert _status(store_dir, sheet) == ("対応中", ["受付", "確認中", "対応中"])


def test_an_unknown_status_is_refused_in_japanese_and_nothing_changes(cli, household, store_dir):
    sheet = _ok(cli, "sheet", "add", "--household", household, "--concern", "孤立", "--urgency", "見守り",
                "--note", "誰とも話さない日が続く")
    code, out, err = cli("sheet", "status", sheet, "--to", "完了")
    assert code != 0 and not out
    assert_one_japanese_line(err)
    assert "「完了」" in err and "確認中" in err and "終結" in err  # says what to choose instead
    assert _status(store_dir, sheet) == ("受付", ["受付"])


def test_a_move_the_workflow_does_not_allow_is_refused(cli, household, store_dir):
    sheet = _ok(cli, "sheet", "add", "--household", household, "--concern", "孤立", "--urgency", "見守り",
                "--note", "行事に出てこない")
    _ok(cli, "sheet", "status", sheet, "--to", "終結")
    code, _, err = cli("sheet", "status", sheet, "--to", "見守り")
    assert code != 0 and "「終結」から「見守り」には進められません" in err
    assert_one_japanese_line(err)
    assert _status(store_dir, sheet) == ("終結", ["受付", "終結"])
    _ok(cli, "sheet", "status", sheet, "--to", "確認中")  # 終結 reopens to 確認中
    assert _status(store_dir, sheet)[0] == "確認中"


def test_handing_on_names_an_agency_of_the_directory(cli, household, store_dir):
    store = unlock(store_dir, "admin", PASSPHRASE)
    try:
        agencies.add_agency(store, AGENCY, field="高齢")
    finally:
        store.close()
    sheet = _ok(cli, "sheet", "add", "--household", household, "--concern", "介護", "--urgency", "早め",
                "--note", "入浴が難しい")
    code, _, err = cli("sheet", "status", sheet, "--to", "つないだ")
    assert code != 0 and "関係機関を選んでください" in err
    code, _, err = cli("sheet", "status", sheet, "--to", "つないだ", "--agency", "存在しないセンター")
    assert code != 0 and "関係機関の一覧にありません" in err
    assert _status(store_dir, sheet) == ("受付", ["受付"]) and _referrals(store_dir, sheet) == []
    _ok(cli, "sheet", "status", sheet, "--to", "つないだ", "--agency", AGENCY, "--note", "介護保険の申請")
    assert _status(store_dir, sheet) == ("つないだ", ["受付", "つないだ"])
    [referral] = _referrals(store_dir, sheet)  # handing on is a referral too, with its follow-up
    assert referral.agency == AGENCY and referral.outcome == "確認中"


def test_a_date_before_the_sheet_was_noticed_is_refused(cli, household, store_dir):
    sheet = _ok(cli, "sheet", "add", "--household", household, "--concern", "孤立", "--urgency", "見守り",
                "--note", "様子が気になる", "--date", "2025-04-10")
    code, _, err = cli("sheet", "status", sheet, "--to", "確認中", "--date", "2025-04-01")
    assert code != 0 and "変更日" in err
    assert _status(store_dir, sheet) == ("受付", ["受付"])
    _ok(cli, "sheet", "status", sheet, "--to", "確認中", "--date", "2025-04-12")
    assert _status(store_dir, sheet) == ("確認中", ["受付", "確認中"])
