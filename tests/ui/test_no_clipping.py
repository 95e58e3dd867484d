"""Nothing is cut off at the largest text size: every page of the navigation (an admin on the
demo village) and the main dialogs, at the window's default size and on a 1366×768 laptop;
and at 125 % and 150 % display scaling (a child process with QT_SCALE_FACTOR)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from shakyo_desk.ui import appearance
from shakyo_desk.ui.appearance import LARGEST
from tests.ui.clipping import clipped_widgets, report
from tests.ui.demo_village import demo_ctx, demo_store, village_template  # noqa: F401 - fixtures
from tests.ui.screens import main_screens, start_screens

DEFAULT = (1280, 800)  # the main window's default size
LAPTOP_USABLE = (1366, 728)  # a typical council laptop (1366×768), less the task bar
SCREENSHOTS = os.environ.get("SHAKYO_SCREENSHOTS")


@pytest.fixture
def largest_text(qapp):
    current = appearance.install(qapp)
    current.apply(LARGEST, False)
    yield current
    current.remove()


def check_screens(screens, size, *, label: str) -> list[str]:
    problems = []
    for name, widget in screens:
        if SCREENSHOTS:
            folder = Path(SCREENSHOTS) / "clipping"
            folder.mkdir(parents=True, exist_ok=True)
            widget.grab().save(str(folder / f"{label}_{name.replace(':', '_')}.png"))
        if widget.width() > size[0] or widget.height() > size[1]:
            problems.append(f"{name}: {widget.width()}x{widget.height()} does not fit {size[0]}x{size[1]} "
                            f"(needs at least {widget.minimumSizeHint().width()}x{widget.minimumSizeHint().height()})")
        problems.extend(f"{name}: {c}" for c in clipped_widgets(widget))
    return problems


def test_the_check_finds_cut_off_text(qtbot):
    """The helper itself: a label and a button too narrow for their text are found, the rest not."""
    widget = QWidget()
    qtbot.addWidget(widget)
    narrow = QLabel("とても長い説明の文章です")
    narrow.setFixedWidth(40)
    button = QPushButton("とても長いボタン")
    button.setFixedWidth(40)
    fine = QLabel("ふつう")
    wrapped = QLabel("折り返せる長い文章です。" * 8)
    wrapped.setWordWrap(True)
    layout = QVBoxLayout(widget)
    for w in (narrow, button, fine, wrapped):
        layout.addWidget(w)
    widget.show()
    found = clipped_widgets(widget)
    assert [c.text for c in found] == ["とても長い説明の文章です", "とても長いボタン"], report(found)
    assert found[0].path == "QWidget/QLabel[1]" and found[0].needed[0] > found[0].available[0]
    wrapped.setFixedHeight(10)
    assert [c.text for c in clipped_widgets(widget)][-1] == wrapped.text()


@pytest.mark.parametrize("size", [DEFAULT, LAPTOP_USABLE], ids=["default", "1366x768"])
def test_main_screens_at_the_largest_text(qtbot, demo_ctx, largest_text, size):  # noqa: F811
    problems = check_screens(main_screens(demo_ctx, size), size, label=f"{size[0]}x{size[1]}")
    assert not problems, "\n".join(problems)


def test_start_screens_at_the_largest_text(qtbot, executor, ui_settings, demo_store, tmp_path,  # noqa: F811
                                           largest_text):
    screens = start_screens(executor, ui_settings, demo_store.layout.root, tmp_path / "new", LAPTOP_USABLE)
    problems = check_screens(screens, LAPTOP_USABLE, label="start")
    assert not problems, "\n".join(problems)


def test_main_screens_in_high_contrast(qtbot, demo_ctx, qapp):  # noqa: F811
    current = appearance.install(qapp)
    current.apply(LARGEST, True)
    try:
        problems = check_screens(main_screens(demo_ctx, DEFAULT, dialogs=False), DEFAULT, label="contrast")
    finally:
        current.remove()
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("scale, logical, text", [("1.25", (1536, 824), 100), ("1.5", (1280, 680), 100),
                                                  ("1.5", (1280, 680), LARGEST)],
                         ids=["125%", "150%", "150%-largest-text"])
def test_display_scaling(tmp_path_factory, tmp_path, scale, logical, text):
    """Windows' display scaling on a 1920×1080 laptop: Qt scales by QT_SCALE_FACTOR, so the
    window has ``logical`` pixels (the screen less the task bar); fonts are rounded
    differently, which can cut text off by a pixel. Qt reads the factor when the application
    starts, hence a child process. The last case adds the largest text size."""
    template = village_template(tmp_path_factory)
    env = dict(os.environ, QT_SCALE_FACTOR=scale, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-m", "tests.ui.clipping_probe", str(template), str(tmp_path / "copy"),
         f"{logical[0]}x{logical[1]}", str(text)],
        cwd=Path(__file__).parents[2], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["device_pixel_ratio"] == pytest.approx(float(scale))
    assert found["screens"] >= 15
    assert not found["problems"], "\n".join(found["problems"])
