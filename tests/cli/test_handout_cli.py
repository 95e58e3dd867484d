"""`handout --meeting ID --out FILE.pdf` (CLI.md): one numbered copy per member; non-zero,
with the person named, when the consent gate refuses."""

import json
from datetime import timedelta

from pypdf import PdfReader

from shakyo_desk.store.services import handout_register
from tests.cli.conftest import assert_one_japanese_line
from tests.cli.records_helpers import opened
from shakyo_desk.domain import clock

SOON = (clock.today() + timedelta(days=2)).isoformat()


def add_meeting(cli, household, kind):
    code, out, err = cli("meeting", "add", "--type", kind, "--date", SOON, "--household", household,
                         "--member", "佐藤 一/地域包括支援センター", "鈴木 二/役場福祉課")
    assert code == 0, err
    return out.strip()


def test_handout_writes_numbered_copies(cli, household, store_dir, tmp_path):
    meeting = add_meeting(cli, household, "support")
    target = tmp_path / "会議資料.pdf"
    code, out, err = cli("handout", "--meeting", meeting, "--out", str(target), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["paths"] == [str(target)] and doc["copies"] == 2 and doc["copy_numbers"] == [1, 2]
    text = "\n".join(p.extract_text() for p in PdfReader(target).pages)
    assert "配布番号 1／2" in text and "鈴木 二 様" in text and "取扱注意" in text
    assert "山田 花子" not in text and "架空村上町" not in text and "0123-45-6789" not in text
    with opened(store_dir) as store:
        assert handout_register.counts(store, meeting).made == 2


def test_consent_gate_refusal_exits_non_zero_and_names_the_person(cli, household, store_dir, tmp_path):
    meeting = add_meeting(cli, household, "multi-agency")
    target = tmp_path / "m.pdf"
    code, out, err = cli("handout", "--meeting", meeting, "--out", str(target))
    assert code != 0 and out == ""
    assert_one_japanese_line(err)
    assert "山田 花子" in err and "同意" in err
    assert not target.exists()
    with opened(store_dir) as store:
        assert handout_register.counts(store, meeting).made == 0


def test_missing_output_folder_is_refused(cli, household, tmp_path):
    meeting = add_meeting(cli, household, "support")
    code, _, err = cli("handout", "--meeting", meeting, "--out", str(tmp_path / "nowhere" / "h.pdf"))
    assert code != 0
    assert_one_japanese_line(err)
