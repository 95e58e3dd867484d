"""Screen readers and voice control need a name for everything a person can operate: every
button without text (「…」, arrows, icons) has an accessible name, and every input has a label
(a QLabel whose buddy it is, as QFormLayout rows make) or an accessible name. Walks every page
of the navigation (an admin on the demo village), the main dialogs and the first screens."""

from PySide6.QtWidgets import (
    QAbstractButton, QAbstractSpinBox, QCheckBox, QComboBox, QGroupBox, QLabel, QLineEdit, QListWidget,
    QPlainTextEdit, QRadioButton, QTextEdit, QWidget,
)

from tests.ui.clipping import object_path
from tests.ui.demo_village import demo_ctx, demo_store  # noqa: F401 - fixtures
from tests.ui.screens import main_screens, start_screens


def _inside_compound(widget: QWidget) -> bool:
    """The line edit inside a combo box or spin box is named through its owner."""
    parent = widget.parentWidget()
    return isinstance(parent, QComboBox | QAbstractSpinBox)


def _labelled(widget: QWidget, labels: list[QLabel]) -> bool:
    if widget.accessibleName().strip():
        return True
    if any(label.buddy() is widget and label.text().strip() for label in labels):
        return True
    box = widget.parentWidget()
    return isinstance(box, QGroupBox) and bool(box.title().strip())  # Qt names it after the box


def unnamed(window: QWidget) -> list[str]:
    problems = []
    widgets = [w for w in window.findChildren(QWidget) if w.isVisibleTo(window) and w.window() is window]
    labels = [w for w in widgets if isinstance(w, QLabel)]
    for widget in widgets:
        path = object_path(widget, window)
        if isinstance(widget, QAbstractButton):
            if not widget.text().strip() and not widget.accessibleName().strip():
                problems.append(f"{path}: a button without text has no accessible name")
            elif not widget.text().strip() and not widget.toolTip().strip():
                problems.append(f"{path}: a button without text has no tooltip")
            continue
        is_input = (isinstance(widget, QLineEdit) and not _inside_compound(widget)
                    or isinstance(widget, QPlainTextEdit | QComboBox | QAbstractSpinBox)
                    or isinstance(widget, QTextEdit) and not widget.isReadOnly()
                    or type(widget).__name__ == "CheckList")
        if is_input and not _labelled(widget, labels):
            hint = getattr(widget, "placeholderText", lambda: "")()
            problems.append(f"{path}: input without a label or accessible name"
                            + (f" (placeholder 「{hint}」)" if hint else ""))
    return problems


def test_every_main_screen_names_its_controls(qtbot, demo_ctx):  # noqa: F811
    problems = []
    for name, window in main_screens(demo_ctx, (1280, 800)):
        problems.extend(f"{name}: {p}" for p in unnamed(window))
    assert not sorted(set(problems)), "\n".join(sorted(set(problems)))


def test_first_screens_name_their_controls(qtbot, executor, ui_settings, demo_store, tmp_path):  # noqa: F811
    problems = []
    for name, window in start_screens(executor, ui_settings, demo_store.layout.root, tmp_path / "new", (1366, 728)):
        problems.extend(f"{name}: {p}" for p in unnamed(window))
    assert not sorted(set(problems)), "\n".join(sorted(set(problems)))


def test_the_check_finds_what_it_should(qtbot):
    from PySide6.QtWidgets import QFormLayout, QToolButton

    window = QWidget()
    qtbot.addWidget(window)
    form = QFormLayout(window)
    named = QLineEdit()
    form.addRow("氏名", named)
    anonymous = QLineEdit()
    anonymous.setPlaceholderText("検索")
    form.addRow(anonymous)
    arrow = QToolButton()
    form.addRow(arrow)
    tick = QCheckBox("同意あり")
    form.addRow(tick)
    choice = QRadioButton("はい")
    form.addRow(choice)
    items = QListWidget()
    form.addRow(items)  # not checked: only check lists count as inputs
    window.show()
    found = unnamed(window)
    assert len(found) == 2, found
    assert "placeholder 「検索」" in found[0] and "QToolButton" in found[1]
    anonymous.setAccessibleName("世帯の検索")
    arrow.setAccessibleName("カレンダーから選ぶ")
    assert [p for p in unnamed(window) if "QToolButton" in p] == ["QWidget/QToolButton: a button without text has "
                                                                  "no tooltip"]
    arrow.setToolTip("カレンダーから選ぶ")
    assert unnamed(window) == []
