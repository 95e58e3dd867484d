"""Text size, high contrast and the focus frame (ui/appearance.py)."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QMenu, QPushButton, QVBoxLayout, QWidget

from shakyo_desk.ui import appearance
from shakyo_desk.ui.appearance import (
    LARGEST, RING_NAME, STANDARD, FocusRing, ViewMenu, adapt_css, contrast_ratio, hc_text_colour,
)
from shakyo_desk.ui.style import DEMO_COLOUR, ERROR_COLOUR, mono_font
from shakyo_desk.ui.widgets import make_table, text_item


@pytest.fixture
def look(qapp):
    """The application's appearance for one test, back to the standard look afterwards."""
    current = appearance.install(qapp)
    yield current
    current.remove()


def test_css_font_sizes_scale_to_half_points():
    assert adapt_css("font-size: 15pt; font-weight: bold;", 1.5) == "font-size: 22.5pt; font-weight: bold;"
    assert adapt_css("QPushButton { font-size: 12pt; padding: 6px 16px; }", 1.15) == \
        "QPushButton { font-size: 14pt; padding: 6px 16px; }"
    assert adapt_css("font-size: 13px;", 1.3) == "font-size: 17px;"
    assert adapt_css("color: #555;", 1.5) == "color: #555;"  # nothing else changes
    assert adapt_css("font-size: 15pt;", 1.0) == "font-size: 15pt;"


def test_high_contrast_colours():
    css = adapt_css(f"background: {DEMO_COLOUR}; color: white; font-weight: bold; padding: 6px;", 1.0, True)
    assert css == "background: #000000; color: #ffffff; font-weight: bold; padding: 6px;"
    assert adapt_css("color: #555;", 1.0, True) == "color: #000000;"
    assert adapt_css("#backupBanner { background: #fff8e1; border-bottom: 1px solid #e0b040; }", 1.0, True) == \
        "#backupBanner { background: #ffffff; border-bottom: 1px solid #000000; }"
    disabled = adapt_css("QLabel { color: #444; } QLabel:disabled { color: #9a9a9a; }", 1.0, True)
    assert disabled == "QLabel { color: #000000; } QLabel:disabled { color: #595959; }"
    for colour in (ERROR_COLOUR, "#b35c00", "#2f6b3a", "#0b57d0"):
        strong = hc_text_colour(colour)
        assert contrast_ratio(strong, "#ffffff") >= 10, (colour, strong)
        assert strong != "#000000"  # the hue stays: red still reads as red
    assert contrast_ratio("#595959", "#ffffff") >= 7


def test_ui_settings_remember_text_size_and_contrast(ui_settings):
    assert ui_settings.text_size() == 100 and ui_settings.high_contrast() is False
    ui_settings.set_text_size(130)
    ui_settings.set_high_contrast(True)
    ui_settings.sync()
    assert ui_settings.text_size() == 130 and ui_settings.high_contrast() is True
    assert appearance.nearest_size(ui_settings.text_size()) == 130
    assert appearance.nearest_size("garbage") == STANDARD and appearance.nearest_size(400) == LARGEST


def test_text_size_applies_to_everything_at_once(qtbot, look):
    base = QApplication.font().pointSizeF()
    widget = QWidget()
    qtbot.addWidget(widget)
    title = QLabel("世帯")
    title.setStyleSheet("font-size: 15pt; font-weight: bold;")
    plain = QLabel("ふつうの文字")
    key = QLabel("ABCD-EFGH")
    appearance.set_scaled_font(key, mono_font(22))
    layout = QVBoxLayout(widget)
    for w in (title, plain, key):
        layout.addWidget(w)
    widget.show()
    assert key.font().pointSizeF() == 22

    look.apply(150, False)
    assert QApplication.font().pointSizeF() == pytest.approx(base * 1.5)
    assert plain.font().pointSizeF() == pytest.approx(base * 1.5)
    assert title.styleSheet() == "font-size: 22.5pt; font-weight: bold;"
    assert title.font().pointSizeF() == pytest.approx(22.5)
    assert key.font().pointSizeF() == pytest.approx(33)

    # a widget made later, and a style sheet the code changes later, follow too
    late = QLabel("あとから")
    late.setStyleSheet("font-size: 12pt;")
    layout.addWidget(late)
    late.show()
    assert late.styleSheet() == "font-size: 18pt;"
    title.setStyleSheet("font-size: 14pt; color: #555;")
    assert title.styleSheet() == "font-size: 21pt; color: #555;"

    look.apply(STANDARD, False)
    assert QApplication.font().pointSizeF() == pytest.approx(base)
    assert title.styleSheet() == "font-size: 14pt; color: #555;"
    assert late.styleSheet() == "font-size: 12pt;"
    assert key.font().pointSizeF() == pytest.approx(22)


def test_high_contrast_palette_style_sheets_and_table_colours(qtbot, look):
    label = QLabel("ヒント")
    label.setStyleSheet("color: #555;")
    qtbot.addWidget(label)
    label.show()
    look.apply(STANDARD, True)
    palette = QApplication.palette()
    assert palette.color(QPalette.ColorRole.WindowText).name() == "#000000"
    assert palette.color(QPalette.ColorRole.Window).name() == "#ffffff"
    assert label.styleSheet() == "color: #000000;"
    assert "border: 2px solid #000000" in QApplication.instance().styleSheet()
    item = text_item("未回収", ERROR_COLOUR)
    assert contrast_ratio(item.foreground().color().name(), "#ffffff") >= 10
    look.apply(STANDARD, False)
    assert label.styleSheet() == "color: #555;"
    assert text_item("未回収", ERROR_COLOUR).foreground().color().name() == ERROR_COLOUR


def test_table_column_widths_follow_the_text_size(look):
    assert make_table(["世帯番号", "世帯主"], [120]).columnWidth(0) == 120
    look.apply(150, False)
    assert make_table(["世帯番号", "世帯主"], [120]).columnWidth(0) == 180


def test_focus_frame_follows_the_keyboard(qtbot, look):
    window = QWidget()
    qtbot.addWidget(window)
    first, second = QLineEdit(), QLineEdit()
    button = QPushButton("保存")
    layout = QVBoxLayout(window)
    for w in (first, second, button):
        layout.addWidget(w)
    window.resize(300, 200)
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    first.setFocus()
    qtbot.waitUntil(lambda: first.hasFocus())
    rings = window.findChildren(FocusRing, RING_NAME)
    assert len(rings) == 1
    ring = rings[0]
    assert ring.isVisible() and ring.geometry().contains(first.geometry())
    qtbot.keyClick(first, Qt.Key.Key_Tab)
    assert second.hasFocus()
    assert ring.geometry().contains(second.geometry()) and not ring.geometry().contains(first.geometry())
    qtbot.keyClick(second, Qt.Key.Key_Tab)
    assert ring.geometry().contains(button.geometry())
    assert ring.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    assert ring.focusPolicy() == Qt.FocusPolicy.NoFocus
    # the frame is thicker with high contrast
    look.apply(STANDARD, True)
    assert ring.width_px == appearance.HC_FOCUS_WIDTH
    # moving the widget moves the frame
    window.resize(500, 400)
    qtbot.waitUntil(lambda: ring.geometry().contains(button.geometry()))


def test_view_menu_sizes_shortcuts_and_contrast(qtbot, look, ui_settings):
    window = QWidget()
    qtbot.addWidget(window)
    menu = ViewMenu(window, ui_settings)
    assert isinstance(menu, QMenu)
    assert menu.sizes[STANDARD].isChecked() and not menu.smaller.isEnabled()
    menu.larger.trigger()
    assert look.percent == 115 and ui_settings.text_size() == 115 and menu.sizes[115].isChecked()
    menu.sizes[LARGEST].trigger()
    assert look.percent == LARGEST and not menu.larger.isEnabled()
    menu.smaller.trigger()
    assert look.percent == 130
    menu.standard.trigger()
    assert look.percent == STANDARD and ui_settings.text_size() == STANDARD
    menu.contrast.trigger()
    assert look.high_contrast and ui_settings.high_contrast() and menu.contrast.isChecked()
    shortcuts = {s.toString() for s in menu.larger.shortcuts()}
    assert {"Ctrl++", "Ctrl+;"} <= shortcuts
    assert menu.smaller.shortcut().toString() in ("Ctrl+-", "Ctrl+−")
    assert menu.standard.shortcut().toString() == "Ctrl+0"
    labels = [a.text() for a in menu.sizes.values()]
    assert labels == ["標準（100%）", "やや大きい（115%）", "大きい（130%）", "とても大きい（150%）"]


def test_install_reads_the_persons_choice(qapp, ui_settings):
    ui_settings.set_text_size(130)
    ui_settings.set_high_contrast(True)
    current = appearance.install(qapp, ui_settings)
    try:
        assert current.percent == 130 and current.high_contrast
        assert appearance.appearance_of(qapp) is current
    finally:
        current.remove()
    assert QApplication.palette().color(QPalette.ColorRole.Window).name() != "#000000"


def test_main_window_view_menu_and_shortcuts(qtbot, ctx, look):
    from shakyo_desk.ui.main_window import MainWindow

    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles[:2] == ["ファイル(&F)", "表示(&V)"]
    base = QApplication.font().pointSizeF()
    window.nav.setFocus()
    qtbot.keyClick(window.nav, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert look.percent == 115 and ctx.ui_settings.text_size() == 115
    assert QApplication.font().pointSizeF() == pytest.approx(base * 1.15)
    qtbot.keyClick(window.nav, Qt.Key.Key_Semicolon, Qt.KeyboardModifier.ControlModifier)  # 「＋」 key on a JIS keyboard
    assert look.percent == 130
    qtbot.keyClick(window.nav, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert look.percent == 115
    qtbot.keyClick(window.nav, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert look.percent == STANDARD and ctx.ui_settings.text_size() == STANDARD
    window.view_menu.contrast.trigger()
    assert look.high_contrast and ctx.ui_settings.high_contrast()
    # the navigation widens with the text so no page title is cut off
    narrow = window.nav.minimumWidth()
    look.apply(LARGEST, True)
    assert window.nav.minimumWidth() > narrow
    window.idle.stop()


def test_first_screen_uses_the_remembered_size(qtbot, executor, ui_settings, store, store_dir, qapp):
    """As run() does: the person's size and contrast are applied before the unlock dialog."""
    from shakyo_desk.ui.app import AppController

    ui_settings.set_text_size(130)
    ui_settings.set_high_contrast(True)
    current = appearance.install(qapp, ui_settings)
    try:
        controller = AppController(executor, ui_settings, store_dir)
        controller.start()
        dialog = controller.unlock_dialog
        qtbot.addWidget(dialog)
        assert dialog.login.font().pointSizeF() == pytest.approx(current.base_point_size * 1.3)
        assert dialog.palette().color(QPalette.ColorRole.Window).name() == "#ffffff"
        assert dialog.palette().color(QPalette.ColorRole.WindowText).name() == "#000000"
        dialog.reject()
    finally:
        current.remove()


def test_the_app_starts_with_a_large_text_and_high_contrast(tmp_path):
    """run() itself, in a child process: the remembered choices and the crash handler are
    installed and the first screen (the first-run wizard here) comes up."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    config = tmp_path / "config" / "shakyo-desk"
    config.mkdir(parents=True)
    (config / "shakyo-desk.conf").write_text("[appearance]\ntext_size=150\nhigh_contrast=true\n", "utf-8")
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               SHAKYO_STARTUP_PROBE="1", QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-m", "shakyo_desk", "--store", str(tmp_path / "store")], env=env,
                            cwd=Path(__file__).parents[2], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "first-screen" in result.stderr and "SetupWizard" in result.stderr
    assert "Traceback" not in result.stderr
