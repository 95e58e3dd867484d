"""ヘルプ → 操作ガイド (F1): the guide rendered in the app, links between pages followed,
pictures loaded next to each page, a table of contents."""

from pathlib import Path

from PySide6.QtCore import QUrl, Qt
from PySide6.QtGui import QTextCursor, QTextDocument

from shakyo_desk.ui import help_window
from shakyo_desk.ui.help_window import INDEX, HelpWindow, contents, guide_candidate_dirs, guide_dir
from shakyo_desk.ui.main_window import MainWindow

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "ja"


def link_position(browser, href: str):
    """Where the link to ``href`` is on screen (scrolled into view)."""
    doc = browser.document()
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.isValid() and fragment.charFormat().isAnchor() and fragment.charFormat().anchorHref() == href:
                cursor = QTextCursor(doc)
                cursor.setPosition(fragment.position() + 1)
                browser.setTextCursor(cursor)
                browser.ensureCursorVisible()
                return browser.cursorRect(cursor).center()
            it += 1
        block = block.next()
    raise AssertionError(f"no link to {href}")


def test_f1_opens_the_guide_and_links_and_pictures_work(qtbot, ctx):
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_F1)
    guide = window.help_window
    assert isinstance(guide, HelpWindow) and guide.isVisible()
    assert guide.folder == GUIDE and guide.current_page() == INDEX
    assert "操作ガイド" in guide.browser.toPlainText()
    assert guide.toc.count() == 1 + len(contents(GUIDE)) >= 9
    assert guide.toc.currentRow() == 0

    # a click on a link in the index opens that page
    guide.resize(1000, 760)
    qtbot.wait(20)
    point = link_position(guide.browser, "visits.md")
    qtbot.mouseClick(guide.browser.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert guide.current_page() == "visits.md"
    assert guide.browser.toPlainText().startswith("訪問記録をつける")
    assert guide.toc.currentItem().data(Qt.ItemDataRole.UserRole) == "visits.md"
    assert guide.back_button.isEnabled()

    # its pictures come from images/ beside the page
    image = guide.browser.document().resource(QTextDocument.ResourceType.ImageResource, QUrl("images/visit_entry.png"))
    assert image is not None and not image.isNull() and image.width() > 100

    # the contents on the left, 戻る and the menu
    sync_row = [guide.toc.item(r).data(Qt.ItemDataRole.UserRole) for r in range(guide.toc.count())].index("sync.md")
    guide.toc.setCurrentRow(sync_row)
    assert guide.current_page() == "sync.md"
    qtbot.mouseClick(guide.back_button, Qt.MouseButton.LeftButton)
    assert guide.current_page() == "visits.md"
    qtbot.mouseClick(guide.home_button, Qt.MouseButton.LeftButton)
    assert guide.current_page() == INDEX
    guide.close()
    window.guide_action.trigger()
    assert window.help_window is guide and guide.isVisible() and guide.current_page() == INDEX
    assert window.guide_action.shortcut().toString() == "F1"
    assert window.guide_action in window.menuBar().actions()[-1].menu().actions()
    guide.close()
    window.idle.stop()


def test_where_the_guide_is_looked_for(monkeypatch, tmp_path, qtbot):
    monkeypatch.setattr(help_window.sys, "_MEIPASS", str(tmp_path / "bundle"), raising=False)
    dirs = guide_candidate_dirs()
    assert dirs[0] == tmp_path / "bundle" / "docs" / "ja" and GUIDE in dirs
    assert guide_dir() == GUIDE  # the frozen folder has no guide here: the checkout's is next
    monkeypatch.setenv(help_window.ENV_GUIDE_DIR, str(tmp_path / "nowhere"))
    assert guide_candidate_dirs()[0] == tmp_path / "nowhere"

    missing = HelpWindow(folder=None)
    qtbot.addWidget(missing)
    missing.folder = None
    missing._load()
    assert "操作ガイドが見つかりません" in missing.browser.toPlainText()
