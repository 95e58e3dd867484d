"""復旧シート (issue 17): one A4 page with the recovery key in its groups, every zero slashed,
the age identity as text and as a QR code that reads back, what each is for, what a
パスフレーズ is, where to keep the paper; 取扱注意; written owner-only."""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import subprocess
from datetime import date

import pytest
from pypdf import PdfReader

from shakyo_desk.reports import recovery_sheet as R
from shakyo_desk.reports.recovery_sheet import (
    NO_IDENTITY, RecoverySheet, identity_lines, key_groups, recovery_sheet_pdf, write_recovery_sheet,
)
from shakyo_desk.store.keyfile import _RECOVERY_ALPHABET, normalise_recovery_key
from shakyo_desk.sync.bundle import generate_recovery_identity

DAY = date(2026, 12, 7)  # 令和8年12月7日
KEY = "0A1B0-C0D2E-FGH0J-KMNPQ-RSTV0-WXYZ3"
IDENTITY = str(generate_recovery_identity())


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


@pytest.fixture(scope="module")
def sheet_pdf(tmp_path_factory):
    path = tmp_path_factory.mktemp("sheet") / "復旧シート.pdf"
    write_recovery_sheet(path, RecoverySheet("山里村社会福祉協議会", KEY, DAY, identity=IDENTITY))
    return path


def test_the_key_alphabet_has_no_letter_that_looks_like_a_digit():
    """What the sheet says about the letters holds: no O, I, L, U (and 0, 1 are digits)."""
    assert not set("OILU") & set(_RECOVERY_ALPHABET)
    assert normalise_recovery_key(KEY) == KEY.replace("-", "")
    assert key_groups(KEY) == KEY.split("-") == key_groups(KEY.replace("-", " ").lower())


def test_one_page_with_everything_needed_to_recover(sheet_pdf):
    reader = PdfReader(str(sheet_pdf))
    assert len(reader.pages) == 1
    assert reader.pages[0].mediabox.width == pytest.approx(595.27, abs=1)  # A4
    text = pdf_text(sheet_pdf)
    flat = squash(text)
    # the key in its groups of five, in order, with room between the groups
    assert re.search(r"\s+".join(KEY.split("-")), text), text
    assert KEY.replace("-", "") not in flat.replace(KEY.replace("-", ""), "", 1)  # once
    # the identity, in groups that put back together give it exactly
    assert IDENTITY in flat
    assert re.search(r"AGE-SECRET-KEY-1\s+[0-9A-Z]{4} [0-9A-Z]{4}", text), text
    for words in ("取扱注意", "社協デスク復旧シート", "山里村社会福祉協議会", "令和8年12月7日",
                  # what each is for
                  "①復旧キー", "パスフレーズを全員が忘れたとき", "パソコンが壊れて", "復旧キーを使う",
                  "②同期ファイルの復旧用の鍵", "同期ファイルを開いて記録を取り出す", "age",
                  # the letters
                  "0（ゼロ）には斜線", "O（オー）・I（アイ）・L（エル）・U（ユー）は使っていない",
                  # what a passphrase is
                  "パスフレーズとは", "ログイン名と一緒に入力する",
                  # where to keep it
                  "金庫", "パソコンとは別にして", "写真に撮らない", "PDFとして保存したときは", "ファイルを削除"):
        assert squash(words) in flat, words


def test_every_zero_is_slashed(monkeypatch):
    drawn = []
    real = R.MonoLines._slash
    monkeypatch.setattr(R.MonoLines, "_slash", lambda self, c, x, y: (drawn.append((self.size, x)), real(self, c, x, y)))
    recovery_sheet_pdf(RecoverySheet("村社協", KEY, DAY, identity=IDENTITY))
    zeros = KEY.count("0") + "".join(identity_lines(IDENTITY)).count("0")
    assert len(drawn) == zeros and KEY.count("0") == 5
    assert {size for size, _ in drawn} == {R.KEY_PT} | ({R.IDENTITY_PT} if "0" in IDENTITY else set())


def test_identity_lines_keep_every_character():
    lines = identity_lines(IDENTITY)
    assert lines[0] == "AGE-SECRET-KEY-1"
    assert "".join(lines).replace(" ", "") == IDENTITY
    assert all(len(g) <= 4 for line in lines[1:] for g in line.split(" "))


def test_the_qr_code_carries_the_identity(monkeypatch):
    made = []
    real = R.qr_drawing
    monkeypatch.setattr(R, "qr_drawing", lambda identity: made.append(real(identity)) or made[-1])
    recovery_sheet_pdf(RecoverySheet("村社協", KEY, DAY, identity=IDENTITY))
    assert [widget.value for drawing in made for widget in drawing.contents] == [IDENTITY]


@pytest.mark.skipif(not (shutil.which("zbarimg") and shutil.which("pdftoppm")),
                    reason="zbarimg (apt zbar-tools) or pdftoppm (poppler-utils) is not installed; .ci/run installs them")
def test_the_printed_qr_code_reads_back_as_the_identity(sheet_pdf, tmp_path):
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(sheet_pdf), str(tmp_path / "page")],
                   check=True)
    out = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "page.png")], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().splitlines() == [IDENTITY]


def test_written_owner_only(sheet_pdf):
    if os.name != "nt":
        assert stat.S_IMODE(sheet_pdf.stat().st_mode) == 0o600
    assert sheet_pdf.read_bytes().startswith(b"%PDF")


def test_without_an_identity_the_sheet_says_where_it_is(tmp_path):
    path = write_recovery_sheet(tmp_path / "s.pdf", RecoverySheet("村社協", KEY, DAY, device_name="田中さんのノートPC"))
    flat = squash(pdf_text(path))
    assert "AGE-SECRET-KEY" not in flat and "②" not in flat
    assert squash(NO_IDENTITY) in flat
    assert "村社協（端末：田中さんのノートPC）" in flat


def test_long_names_still_fit_on_one_page():
    sheet = RecoverySheet("架空郡山里村社会福祉協議会" * 4, KEY, DAY, identity=IDENTITY, device_name="事務局の端末" * 5)
    assert len(PdfReader(io.BytesIO(recovery_sheet_pdf(sheet))).pages) == 1
