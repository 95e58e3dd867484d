"""The parts of 'everything fits the screen' (issue 17) that the offscreen suite can see: where
a window goes for a given room, long dialogs scrolling with their buttons outside, the header
following the text size, the first focus, the left menu's compact rows and F1 at the page's
topic. The real screen, window manager and task bar: ``test_fits_screen``."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMargins, QPoint, QRect, QSize
from PySide6.QtWidgets import QAbstractScrollArea, QDialog, QWidget

from shakyo_desk.ui import appearance, dialogs
from shakyo_desk.ui.help_window import PAGE_TOPICS, contents, guide_dir
from shakyo_desk.ui.main_window import MainWindow
from tests.ui.demo_village import demo_ctx, demo_store  # noqa: F401 - fixtures
from tests.ui.screens import settle

LAPTOP = QRect(0, 0, 1366, 728)  # 1366x768 less a 40-pixel task bar
FRAME = QMargins(1, 19, 1, 1)


def test_a_window_gets_at_most_the_room_less_its_frame():
    where = dialogs.fitted_geometry(QSize(1100, 740), LAPTOP, FRAME)
    assert where.size() == QSize(1100, 708)
    assert LAPTOP.contains(where.marginsAdded(FRAME))
    assert abs(where.center().x() - LAPTOP.center().x()) <= 2  # centred on the room when there is no parent


def test_a_window_is_centred_on_its_parent_and_kept_inside():
    near_the_edge = dialogs.fitted_geometry(QSize(900, 600), LAPTOP, FRAME, centre=QPoint(1300, 700))
    assert LAPTOP.contains(near_the_edge.marginsAdded(FRAME))
    assert near_the_edge.right() == LAPTOP.right() - FRAME.right()
    middle = dialogs.fitted_geometry(QSize(400, 300), LAPTOP, FRAME, centre=QPoint(500, 400))
    assert middle.center() == QPoint(499, 399) or abs(middle.center().x() - 500) <= 1


def test_a_remembered_place_off_the_screen_comes_back():
    where = dialogs.fitted_geometry(QSize(800, 600), LAPTOP, FRAME, top_left=QPoint(1200, -50))
    assert LAPTOP.contains(where.marginsAdded(FRAME))
    assert where.size() == QSize(800, 600)


def test_a_minimum_is_kept_only_where_it_fits():
    assert dialogs.fitted_geometry(QSize(300, 200), LAPTOP, FRAME, minimum=QSize(500, 400)).size() == QSize(500, 400)
    assert dialogs.fitted_geometry(QSize(300, 200), LAPTOP, FRAME, minimum=QSize(2000, 900)).size() \
        == QSize(1364, 708)


def test_offscreen_keeps_the_sizes_asked_for(qtbot):
    """Qt's offscreen platform has an 800x800 placeholder, not a screen: nothing is clamped."""
    widget = QDialog()
    qtbot.addWidget(widget)
    dialogs.fit_to_screen(widget, QSize(1100, 740))
    assert widget.size() == QSize(1100, 740)
    assert dialogs.available_geometry(widget) is None and not dialogs.open_maximised(widget)


def _scrolls(widget: QWidget, top: QWidget) -> bool:
    w = widget.parentWidget()
    while w is not None and w is not top:
        if isinstance(w, QAbstractScrollArea):
            return True
        w = w.parentWidget()
    return False


def test_long_dialogs_scroll_with_their_buttons_outside(qtbot, demo_ctx):  # noqa: F811
    """The main long dialogs: their form scrolls, the save and close buttons do not, so a dialog
    squeezed to a laptop's height keeps them in view."""
    from tests.ui.screens import main_dialogs

    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    settle()
    seen = {}
    try:
        for name, dialog in main_dialogs(window, demo_ctx):
            if name not in ("dialog:household_editor", "dialog:sheet_detail", "dialog:salon_session",
                            "dialog:conference_editor", "dialog:member"):
                continue
            from PySide6.QtWidgets import QDialogButtonBox

            boxes = [b for b in dialog.findChildren(QDialogButtonBox) if b.window() is dialog and b.isVisible()]
            assert boxes, name
            assert not any(_scrolls(b, dialog) for b in boxes), f"{name}: its buttons scroll away"
            assert any(isinstance(w, QAbstractScrollArea) and w.widget() is not None and w.window() is dialog
                       for w in dialog.findChildren(QAbstractScrollArea) if hasattr(w, "widget")), name
            # squeezed to a short screen, what it holds still lays out: its minimum is small
            assert dialog.minimumSizeHint().height() < 600, f"{name}: {dialog.minimumSizeHint()}"
            seen[name] = True
    finally:
        window.idle.stop()
    assert len(seen) == 5


def test_banners_and_the_login_line_follow_the_text_size(qtbot, demo_ctx, qapp):  # noqa: F811
    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    window.backup_banner.text.setText("このパソコンのデータは、まだ一度もバックアップされていません。")
    window.backup_banner.setVisible(True)
    settle()
    parts = (window.banner, window.backup_banner.text, window.backup_banner.button, window.user_label,
             window.council_label)
    before = [w.fontMetrics().height() for w in parts]
    heights = [window.banner.height(), window.backup_banner.height()]
    current = appearance.install(qapp)
    try:
        current.apply(150, False)
        settle()
        after = [w.fontMetrics().height() for w in parts]
        assert all(a >= b * 1.3 for a, b in zip(after, before, strict=True)), (before, after)
        assert window.banner.height() > heights[0] and window.backup_banner.height() > heights[1]
    finally:
        current.remove()
        window.idle.stop()


def test_the_left_menu_fits_a_laptop_without_scrolling(qtbot, demo_ctx):  # noqa: F811
    """1280x720 less the task bar and the title bar, with both banners: every page title in view."""
    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    window.resize(1280, 660)
    window.show()
    window.backup_banner.text.setText("このパソコンのデータは、まだ一度もバックアップされていません。")
    window.backup_banner.setVisible(True)
    settle(6)
    assert window.banner.isVisible() and window.nav.count() >= 15
    assert window.nav.verticalScrollBar().maximum() == 0, (window.nav.height(), window.nav_fit.padding)
    assert window.nav_fit.padding < 10  # compact here ...
    window.resize(1280, 1000)
    settle(6)
    assert window.nav_fit.padding == 10  # ... roomy where there is room
    window.idle.stop()


def test_at_start_the_keyboard_is_in_the_search_field(qtbot, demo_ctx):  # noqa: F811
    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    window.backup_banner.setVisible(True)  # its button comes first in the tab order
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    qtbot.waitUntil(lambda: window.focusWidget() is window.current_page().search, timeout=2000)
    window.idle.stop()


@pytest.mark.parametrize("key", ["households", "contacts", "conflicts", "referrals", "stats", "sync"])
def test_f1_opens_the_guide_at_the_page_topic(qtbot, demo_ctx, key):  # noqa: F811
    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    window.show_page(key)
    settle()
    window.guide_action.trigger()
    guide = window.help_window
    page, heading = PAGE_TOPICS[key]
    assert guide.isVisible() and guide.current_page() == page
    if heading:
        assert guide.heading_in_view(heading)
        assert guide.browser.verticalScrollBar().value() > 0
    else:
        assert guide.browser.verticalScrollBar().value() == 0
    guide.close()
    window.idle.stop()


def test_every_page_has_a_topic_in_the_guide():
    from shakyo_desk.ui.pages.registry import default_pages

    folder = guide_dir()
    pages = {name for _title, name in contents(folder)} | {"README.md"}
    assert {spec.key for spec in default_pages()} <= set(PAGE_TOPICS)
    for key, (page, heading) in PAGE_TOPICS.items():
        assert page in pages, key
        if heading:
            assert f"## {heading}" in (folder / page).read_text(encoding="utf-8"), (key, heading)


def test_menu_items_are_not_cut_at_the_largest_text(qtbot, demo_ctx, qapp):  # noqa: F811
    """Fusion keeps the shortcuts' column on every row and cuts a longer item in the middle with
    "…": the 表示 menu's ハイコントラスト item, drawn in the menu as the window opens it, looks the
    same as in a menu with plenty of room."""
    from PySide6.QtCore import QPoint

    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    window.show()
    current = appearance.install(qapp)
    try:
        current.apply(appearance.LARGEST, False)
        menu = window.view_menu
        item = menu.contrast

        def drawn(extra: int):
            menu.popup(QPoint(0, 0))
            if extra:
                menu.setFixedWidth(menu.width() + extra)
            settle()
            row = menu.actionGeometry(item)
            text = menu.fontMetrics().horizontalAdvance(item.text().replace("&", "")) + 2 * menu.fontMetrics().height()
            image = menu.grab(QRect(row.x(), row.y(), text, row.height())).toImage()
            menu.hide()
            return image

        shown = drawn(0)
        roomy = drawn(160)
        assert shown == roomy, "the item is cut short"
    finally:
        current.remove()
        window.idle.stop()
