"""Check-box lists keep their rows apart and their boxes big enough to hit (issue 17): the
agencies of a 把握シート (すでに関わっている関係機関) and the districts of 端末を追加, at the
standard and the largest text size. Every row is at least as tall as its (wrapped) text plus
some room, rows never overlap, the box is at least 20 pixels at 100 % and grows with the text,
and a click on the box, or on the row's text, ticks it."""

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

from shakyo_desk.store.services.districts import list_districts
from shakyo_desk.ui import appearance
from shakyo_desk.ui.pages.sync import AddDeviceDialog
from tests.ui.demo_village import demo_ctx, demo_store, village_template  # noqa: F401 - fixtures
from tests.ui.screens import settle

MIN_TARGET = 20  # pixels at the standard text size
PADDING = 2  # pixels at least above and below a row's text


@pytest.fixture
def text_size(qapp):
    current = appearance.install(qapp)
    yield current
    current.remove()


def item_option(view, index) -> QStyleOptionViewItem:
    """The option the list paints a row with."""
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = view.visualRect(index)
    view.itemDelegateForIndex(index).initStyleOption(option, index)
    return option


def check_rect(view, index) -> QRect:
    return view.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, item_option(view, index), view)


def text_rect(view, index) -> QRect:
    return view.style().subElementRect(QStyle.SubElement.SE_ItemViewItemText, item_option(view, index), view)


def row_problems(view, percent: int) -> list[str]:
    target = MIN_TARGET * percent / 100 - 1  # whole pixels
    problems, previous = [], None
    fm = view.fontMetrics()
    shown = 0
    for row in range(view.count()):
        item = view.item(row)
        index = view.indexFromItem(item)
        rect = view.visualRect(index)
        if rect.isEmpty() or not view.viewport().rect().intersects(rect):
            continue
        shown += 1
        name = f"[{row}] {item.text()}"
        if previous is not None and previous.intersects(rect):
            problems.append(f"{name}: overlaps the row above ({previous} / {rect})")
        previous = rect
        box = check_rect(view, index)
        if box.width() < target or box.height() < target:
            problems.append(f"{name}: check box {box.width()}x{box.height()}, wants {target:.0f} at {percent} %")
        if not rect.contains(box):
            problems.append(f"{name}: check box {box} sticks out of its row {rect}")
        text = text_rect(view, index)
        if text.left() < box.right():
            problems.append(f"{name}: the text starts under the check box")
        flags = Qt.TextFlag.TextWordWrap if view.wordWrap() else Qt.TextFlag.TextSingleLine
        needed = fm.boundingRect(QRect(0, 0, max(text.width(), 1), 10000), int(flags), item.text()).height()
        if rect.height() < needed + 2 * PADDING:
            problems.append(f"{name}: row {rect.height()} px, its text needs {needed} + {2 * PADDING}")
    if shown < 2:
        problems.append(f"only {shown} rows in view")
    return problems


def ticks_by_click(qtbot, view) -> None:
    """A click on the box ticks the row; a click on its text ticks the next (and again: unticks)."""
    first, second = view.item(0), view.item(1)
    assert first.checkState() == Qt.CheckState.Unchecked and second.checkState() == Qt.CheckState.Unchecked
    box = check_rect(view, view.indexFromItem(first))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=box.center())
    assert first.checkState() == Qt.CheckState.Checked
    text = text_rect(view, view.indexFromItem(second))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=text.center())
    assert second.checkState() == Qt.CheckState.Checked
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=text.center())
    assert second.checkState() == Qt.CheckState.Unchecked
    assert first.checkState() == Qt.CheckState.Checked


@pytest.mark.parametrize("percent", [100, 150])
def test_agencies_of_a_sheet(qtbot, demo_ctx, text_size, percent):  # noqa: F811
    text_size.apply(percent, False)
    form = demo_ctx.navigator.open_sheet_form({}, None)
    qtbot.addWidget(form)
    form.show()
    settle()
    view = form.agencies
    assert view.count() > 5
    problems = row_problems(view, percent)
    assert not problems, "\n".join(problems)
    ticks_by_click(qtbot, view)


@pytest.mark.parametrize("percent", [100, 150])
def test_districts_of_a_new_device(qtbot, demo_ctx, text_size, percent):  # noqa: F811
    text_size.apply(percent, False)
    dialog = AddDeviceDialog(demo_ctx, list_districts(demo_ctx.store))
    qtbot.addWidget(dialog)
    dialog.show()
    settle()
    view = dialog.districts
    assert view.count() > 5
    problems = row_problems(view, percent)
    assert not problems, "\n".join(problems)
    ticks_by_click(qtbot, view)
