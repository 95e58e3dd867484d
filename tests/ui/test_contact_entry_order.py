"""The visit form (訪問記録の入力) as it is seen: Tab walks the fields in the order they are read
(top to bottom, left to right, round to the first field), and the keyboard focus frame
never covers the line under the household field (「…」の世帯に記録します) — issue 17."""

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from shakyo_desk.ui import appearance
from shakyo_desk.ui.appearance import RING_NAME, FocusRing
from shakyo_desk.ui.contact_entry import ContactEntryDialog


@pytest.fixture
def look(qapp):
    current = appearance.install(qapp)
    yield current
    current.remove()


def open_entry(qtbot, ctx, **kwargs) -> ContactEntryDialog:
    dialog = ContactEntryDialog(ctx, **kwargs)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    return dialog


def rect_in(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def in_reading_order(widgets: list[QWidget], window: QWidget) -> bool:
    """Each next widget is on the same line further right, or on a lower line."""
    for a, b in zip(widgets, widgets[1:]):
        ra, rb = rect_in(a, window), rect_in(b, window)
        same_line = ra.top() < rb.center().y() < ra.bottom() or rb.top() < ra.center().y() < rb.bottom()
        if not ((same_line and rb.left() > ra.left()) or (not same_line and rb.top() > ra.top())):
            return False
    return True


def walk(qtbot, dialog: ContactEntryDialog, forward: bool = True) -> list[QWidget]:
    """focusNextChild (focusPreviousChild) from the first field round to where it started."""
    start = QApplication.focusWidget()
    seen = [start]
    for _ in range(40):
        dialog.focusNextChild() if forward else dialog.focusPreviousChild()
        current = QApplication.focusWidget()
        if current is start:
            return seen
        assert current not in seen, [w.accessibleName() or w.metaObject().className() for w in seen + [current]]
        seen.append(current)
    pytest.fail("the focus never came back to the first field")


def label(w: QWidget) -> str:
    text = w.text() if hasattr(w, "text") and isinstance(getattr(w, "text")(), str) else ""
    return w.accessibleName() or text or w.metaObject().className()


def test_tab_walks_the_visit_form_in_reading_order(qtbot, ctx, village):
    dialog = open_entry(qtbot, ctx)
    dialog.last_saved_id = "x"
    dialog.sheet_button.setEnabled(True)  # after a save: 把握シートにする, left of 保存
    dialog.household.setFocus()
    qtbot.waitUntil(lambda: dialog.household.hasFocus())
    forward = walk(qtbot, dialog)
    names = [label(w) for w in forward]
    assert in_reading_order(forward, dialog), names
    assert forward[:4] == [dialog.household, dialog.contact_date.edit, dialog.contact_time,
                           dialog.method.focus_button()], names  # 日付 → 時刻 → 方法, as they are read
    assert forward[-3:] == [dialog.sheet_button, dialog.save_button, dialog.close_button], names
    stops = {w for w in dialog.findChildren(QWidget) if w.isVisibleTo(dialog) and w.isEnabled()
             and w.focusPolicy() & dialog.household.focusPolicy() and w.focusProxy() is None
             and w not in dialog.method.buttons.values() and not isinstance(w, QScrollArea)}  # a container
    assert stops <= set(forward), sorted(label(w) for w in stops - set(forward))  # every field once
    dialog.household.setFocus()
    backward = walk(qtbot, dialog, forward=False)
    assert backward == [forward[0], *reversed(forward[1:])]
    dialog.done(0)


@pytest.mark.parametrize("percent, contrast", [(100, False), (150, False), (100, True)])
def test_the_focus_frame_leaves_the_household_line_readable(qtbot, ctx, village, look, percent, contrast):
    look.apply(percent, contrast)
    dialog = open_entry(qtbot, ctx, household_id=village["households"]["yamada"], household_label="山田 花子")
    line = dialog.household_chosen
    assert "の世帯に記録します" in line.text()
    for field in (dialog.household, dialog.contact_date.edit):  # the field above it and the one below
        field.setFocus()
        qtbot.waitUntil(lambda f=field: f.hasFocus())
        [ring] = [r for r in dialog.findChildren(FocusRing, RING_NAME) if r.isVisible()]
        assert ring.geometry().contains(rect_in(field, dialog))
        assert not ring.geometry().intersects(rect_in(line, dialog)), (label(field), ring.geometry(),
                                                                        rect_in(line, dialog))
    assert line.height() >= line.sizeHint().height()  # the line is not squeezed either
    dialog.done(0)
