"""`init --sheet` and `account recovery-key --sheet` (issue 17): the 復旧シート as an owner-only
PDF next to the recovery kit on the terminal; a place it cannot go is refused before the store
is made."""

import json
import os
import re
import stat

from pypdf import PdfReader

from tests.cli.conftest import COUNCIL, assert_one_japanese_line


def sheet_text(path) -> str:
    return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in PdfReader(str(path)).pages))


def test_init_saves_the_sheet_with_the_key_and_the_identity(cli, store_dir, tmp_path):
    code, out, err = cli("init", "--council", COUNCIL, "--sheet", str(tmp_path / "復旧シート"), "--format", "json")
    assert code == 0, err
    kit = json.loads(out)
    path = tmp_path / "復旧シート.pdf"
    assert kit["recovery_sheet"] == str(path)
    if os.name != "nt":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = sheet_text(path)
    assert kit["recovery_key"].replace("-", "") in text and kit["recovery_identity"] in text
    assert COUNCIL in text and "取扱注意" in text


def test_init_refuses_a_sheet_where_no_file_can_go_and_makes_nothing(cli, store_dir, tmp_path):
    code, out, err = cli("init", "--council", COUNCIL, "--sheet", str(tmp_path / "ない" / "s.pdf"))
    assert code != 0 and "--sheet" in err
    assert_one_japanese_line(err)
    assert not store_dir.exists()


def test_a_renewed_key_has_its_sheet(cli, initialised, tmp_path):
    code, out, err = cli("account", "recovery-key", "--sheet", str(tmp_path / "new.pdf"))
    assert code == 0, err
    key = out.strip().splitlines()[-1].strip()
    text = sheet_text(tmp_path / "new.pdf")
    assert key.replace("-", "") in text and "AGE-SECRET-KEY" not in text
    assert "復旧シートを保存しました" in err and "削除" in err
