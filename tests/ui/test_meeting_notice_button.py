"""「開催通知を作成…」 on the 会議 page: the notice of the selected meeting is made in the worker,
shown with 「PDFに保存…」 (or saved straight away without QtPdf), written whole, and a folder
that cannot be written to is said in Japanese."""

from datetime import date

import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QPushButton

from shakyo_desk.store.services import conferences
from shakyo_desk.ui.pages import conferences as page_module
from shakyo_desk.ui.pages.conferences import ConferencesPage
from shakyo_desk.ui.pdf_preview import qtpdf_available
from tests.ui.helpers import click

TODAY = date(2026, 1, 15)
MEETING = date(2026, 1, 22)
needs_qtpdf = pytest.mark.skipif(not qtpdf_available(), reason="QtPdf (PySide6_Pdf) is not installed")


@pytest.fixture(autouse=True)
def _on_today(pin_today):
    pin_today(TODAY)


@pytest.fixture
def page(qtbot, ctx, village):
    homes = village["households"]
    conferences.add_conference(ctx.store, "support", MEETING, members=["佐藤 一/地域包括支援センター"],
                               title="山里村支援会議（1月）", place="役場 2階会議室", start_time="14:00",
                               agenda="・山田さん宅の見守り", cases=[homes["yamada"], homes["suzuki"]], today=TODAY)
    widget = ConferencesPage(ctx, today=TODAY)
    qtbot.addWidget(widget)
    widget.show()
    widget.refresh()
    return widget


def text_of(path) -> str:
    return "".join("".join(p.extract_text().split()) for p in PdfReader(str(path)).pages)


def test_the_button_follows_the_selection(page):
    assert page.notice_button.text() == "開催通知を作成…"
    assert page.notice_button.isEnabled()  # the one meeting is selected
    page.period.setCurrentIndex(page.period.findData("last_year"))  # no meeting then
    assert page.table.rowCount() == 0 and not page.notice_button.isEnabled()


@needs_qtpdf
def test_the_notice_is_shown_then_saved(qtbot, page, tmp_path):
    asked = []
    target = tmp_path / "通知"
    page.ask_notice_file = lambda suggested: asked.append(suggested) or str(target)
    click(qtbot, page.notice_button)
    preview = page.notice_preview
    assert preview is not None and preview.isVisible() and preview.pdf.page_count == 1
    # a child of the page (closed with it) that deletes itself when closed
    assert "山里村支援会議（1月）" in preview.windowTitle()
    save = next(b for b in preview.findChildren(QPushButton) if b.text() == "PDFに保存…")
    click(qtbot, save)
    assert asked and asked[0].endswith("開催通知_支援会議_R8-1-22.pdf")
    saved = tmp_path / "通知.pdf"  # the suffix is added
    body = text_of(saved)
    assert "支援会議の開催について（通知）" in body and "令和8年1月22日（木）" in body
    assert "社会福祉法第106条の6第5項" in body and "個別ケースの検討（2件）" in body
    assert "山田" not in body and "鈴木" not in body
    assert page.notice_result.isVisible() and str(saved) in page.notice_result.text()


def test_without_qtpdf_the_notice_is_saved_at_once(qtbot, page, tmp_path, monkeypatch):
    monkeypatch.setattr(page_module, "qtpdf_available", lambda: False)
    page.ask_notice_file = lambda suggested: str(tmp_path / "notice.pdf")
    click(qtbot, page.notice_button)
    assert page.notice_preview is None
    assert "守秘義務について" in text_of(tmp_path / "notice.pdf")
    assert page.notice_button.isEnabled()  # ready for the next one


def test_a_folder_that_cannot_be_written_is_said_in_japanese(qtbot, page, tmp_path, monkeypatch):
    monkeypatch.setattr(page_module, "qtpdf_available", lambda: False)
    page.ask_notice_file = lambda suggested: str(tmp_path / "ない" / "フォルダ" / "notice.pdf")
    click(qtbot, page.notice_button)
    assert page.errors.isVisible() and "PDFを保存できませんでした" in page.errors.text()
    assert not page.notice_result.isVisible()
    assert not (tmp_path / "ない").exists()


def test_cancelling_the_file_choice_saves_nothing(qtbot, page, tmp_path, monkeypatch):
    monkeypatch.setattr(page_module, "qtpdf_available", lambda: False)
    page.ask_notice_file = lambda suggested: ""
    click(qtbot, page.notice_button)
    assert not page.notice_result.isVisible() and not list(tmp_path.glob("*.pdf"))
