"""`shakyo-desk map` (issue 19): JSON of nodes, ties and households with no tie; the PDF;
names refused with one Japanese line on stderr and no file; a district the account may not see."""

import json
from datetime import timedelta

from pypdf import PdfReader

from shakyo_desk.domain import clock
from tests.cli.conftest import assert_one_japanese_line


def _ok(cli, *argv):
    code, out, err = cli(*argv)
    assert code == 0, err
    return out.strip()


def test_map_json_and_pdf(cli, household, tmp_path):
    lonely = _ok(cli, "household", "add", "--district", "上町", "--name", "佐藤 キヨ", "--kana", "サトウ キヨ",
                 "--flags", "一人暮らし高齢者")
    _ok(cli, "tie", "add", "--household", household, "--supporter", "隣の 田中/住民", "--kind", "見守り",
        "--since", (clock.today() - timedelta(days=30)).isoformat())
    document = json.loads(_ok(cli, "map", "--district", "上町", "--format", "json"))
    assert document["district"] == "上町" and document["names"] is False
    assert {h["id"] for h in document["households"]} == {household, lonely}
    assert [h["id"] for h in document["households_without_tie"]] == [lonely]
    assert [(t["household_id"], t["kind"], t["stale"]) for t in document["ties"]] == [(household, "見守り", False)]
    [supporter] = document["supporters"]
    assert (supporter["label"], supporter["kind"]) == ("住1", "住民")
    assert "田中" not in json.dumps(document, ensure_ascii=False) and "佐藤" not in json.dumps(document, ensure_ascii=False)

    out = tmp_path / "map.pdf"
    text = _ok(cli, "map", "--district", "上町", "--out", str(out), "--paper", "A4")
    assert str(out) in text and "世帯 2・支え手 1・つながりなし 1" in text
    assert "支え合いマップ" in PdfReader(out).pages[0].extract_text()

    refused = tmp_path / "named.pdf"
    code, _, err = cli("map", "--district", "上町", "--out", str(refused), "--names")
    assert code != 0 and "名前を伏せたマップは印刷できます" in err and not refused.exists()
    assert_one_japanese_line(err)
    code, _, err = cli("map", "--district", "上町")
    assert code != 0 and "--out" in err
    code, _, err = cli("map", "--district", "どこにもない町", "--format", "json")
    assert code != 0 and "登録されていません" in err
    assert_one_japanese_line(err)


def test_map_of_a_district_not_in_charge(cli, household, monkeypatch):
    monkeypatch.setenv("SHAKYO_NEW_PASSPHRASE", "staff passphrase 1")
    _ok(cli, "account", "add", "--login", "shimo", "--role", "staff", "--district", "下町")
    monkeypatch.setenv("SHAKYO_PASSPHRASE", "staff passphrase 1")
    code, _, err = cli("map", "--district", "上町", "--format", "json", user="shimo")
    assert code != 0 and "担当地区の外" in err
    assert_one_japanese_line(err)
