"""Finds text that does not fit its widget (cut off on the right or at the bottom).

``clipped_widgets(root)`` walks the visible labels, buttons, check boxes, radio buttons,
group box titles, tab bar tabs, combo boxes and list items under ``root`` and returns one
``Clipped`` for each whose text needs more room than the widget's contents area gives it
(word-wrapped labels may wrap: their height for the width they have must fit), or that sticks
out of its parent. Inside a scroll area only a direction that cannot be scrolled counts.
Widths are those of the drawn pixels (``QFontMetrics.boundingRect``), so the empty room after
the last character may be cut without it counting.

Used by the clipping tests at the largest text size and in ``clipping_probe.py`` (a child
process with Qt's display scaling)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics, QTextDocument
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractScrollArea, QCheckBox, QComboBox, QGroupBox, QLabel, QListWidget, QPushButton,
    QRadioButton, QStyle,
    QStyleOptionButton, QStyleOptionComboBox, QStyleOptionGroupBox, QTabBar, QToolButton, QWidget,
)

TOLERANCE = 1  # pixels; rounding of fractional font metrics
WRAPPED_ITEM_SLACK = 6  # pixels a word-wrapped list item may reach past the side (its padding)


@dataclass(frozen=True)
class Clipped:
    path: str
    text: str
    needed: tuple[int, int]  # width, height the text needs
    available: tuple[int, int]

    def __str__(self) -> str:
        return (f"{self.path}: 「{self.text}」 needs {self.needed[0]}x{self.needed[1]}, "
                f"has {self.available[0]}x{self.available[1]}")


def _step(w: QWidget) -> str:
    """``Class#name``, or ``Class[n]`` when unnamed siblings share the class."""
    name = type(w).__name__
    if w.objectName():
        return f"{name}#{w.objectName()}"
    parent = w.parentWidget()
    if parent is not None and not w.isWindow():
        same = [c for c in parent.findChildren(type(w), options=Qt.FindChildOption.FindDirectChildrenOnly)
                if type(c) is type(w)]
        if len(same) > 1:
            return f"{name}[{same.index(w) + 1}]"
    return name


def object_path(widget: QWidget, root: QWidget | None = None) -> str:
    parts = []
    w: QWidget | None = widget
    while w is not None:
        parts.append(_step(w))
        if w is root or w.isWindow():
            break
        w = w.parentWidget()
    return "/".join(reversed(parts))


def _plain(text: str) -> str:
    """Button and label text as drawn: mnemonics (&) removed."""
    return re.sub(r"&(.)", r"\1", text.replace("&&", "\0")).replace("\0", "&")


def _ink_width(fm: QFontMetrics, line: str) -> int:
    """How far the drawn pixels of ``line`` reach from where it starts (the advance also
    counts the room after the last glyph, which may be cut without losing anything)."""
    if not line:
        return 0
    ink = fm.boundingRect(line)
    return max(ink.x() + ink.width(), 0)


def _text_size(fm: QFontMetrics, text: str) -> tuple[int, int]:
    lines = text.split("\n")
    width = max(_ink_width(fm, line) for line in lines)
    return width, fm.height() * len(lines) if len(lines) > 1 else fm.height()


def _is_rich(label: QLabel) -> bool:
    fmt = label.textFormat()
    return fmt == Qt.TextFormat.RichText or (fmt == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(label.text()))


def _label(label: QLabel) -> Clipped | None:
    text = label.text()
    if not text.strip() or label.pixmap() is not None and not label.pixmap().isNull():
        return None
    area = label.contentsRect()
    margin = label.margin()
    indent = label.indent() if label.indent() >= 0 else (label.fontMetrics().horizontalAdvance("x") // 2
                                                        if label.frameWidth() > 0 else 0)
    width = area.width() - 2 * margin - (indent if label.alignment() & Qt.AlignmentFlag.AlignHorizontal_Mask
                                        & (Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignRight) else 0)
    height = area.height() - 2 * margin
    if label.wordWrap():
        needed_h = label.heightForWidth(label.width())
        if needed_h > label.height() + TOLERANCE:
            return Clipped("", text, (label.width(), needed_h), (label.width(), label.height()))
        if not _is_rich(label):
            # a single word (or CJK run) longer than the line cannot wrap
            fm = label.fontMetrics()
            longest = max((_ink_width(fm, w) for w in re.split(r"[\s]+", _plain(text)) if w
                           and not re.search(r"[\u3000-\u9fff\uff00-\uffef]", w)), default=0)
            if longest > width + TOLERANCE:
                return Clipped("", text, (longest, fm.height()), (width, height))
        return None
    if _is_rich(label):
        doc = QTextDocument()
        doc.setDefaultFont(label.font())
        doc.setDocumentMargin(0)
        doc.setHtml(text)
        needed = (int(doc.idealWidth() + 0.999), int(doc.size().height() + 0.999))
    else:
        shown = _plain(text) if label.buddy() is not None else text
        needed = _text_size(label.fontMetrics(), shown)
    if needed[0] > width + TOLERANCE or needed[1] > height + TOLERANCE:
        return Clipped("", text, needed, (width, height))
    return None


def _button(button: QAbstractButton) -> Clipped | None:
    text = _plain(button.text())
    if not text.strip():
        return None
    fm = button.fontMetrics()
    needed = _text_size(fm, text)
    style = button.style()
    if isinstance(button, (QCheckBox, QRadioButton)):
        option = QStyleOptionButton()
        option.initFrom(button)
        option.text = button.text()
        option.icon = button.icon()
        option.iconSize = button.iconSize()
        element = (QStyle.SubElement.SE_CheckBoxContents if isinstance(button, QCheckBox)
                   else QStyle.SubElement.SE_RadioButtonContents)
        area = style.subElementRect(element, option, button)
        icon = button.iconSize().width() + 4 if not button.icon().isNull() else 0
        available = (area.width() - icon, area.height())
    elif isinstance(button, QPushButton):
        option = QStyleOptionButton()
        option.initFrom(button)
        option.features = (QStyleOptionButton.ButtonFeature.Flat if button.isFlat()
                           else QStyleOptionButton.ButtonFeature.None_)
        if button.menu() is not None:
            option.features |= QStyleOptionButton.ButtonFeature.HasMenu
        option.text = button.text()
        area = style.subElementRect(QStyle.SubElement.SE_PushButtonContents, option, button)
        icon = button.iconSize().width() + 4 if not button.icon().isNull() else 0
        indicator = style.pixelMetric(QStyle.PixelMetric.PM_MenuButtonIndicator, option, button) \
            if button.menu() is not None else 0
        available = (area.width() - icon - indicator, area.height())
    elif isinstance(button, QToolButton):
        if button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly and not button.icon().isNull():
            return None
        if button.arrowType() != Qt.ArrowType.NoArrow and button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly:
            return None
        area = button.rect()
        available = (area.width() - 4, area.height() - 2)
    else:
        area = button.rect()
        available = (area.width(), area.height())
    if needed[0] > available[0] + TOLERANCE or needed[1] > available[1] + TOLERANCE:
        return Clipped("", text, needed, available)
    return None


def _group_box(box: QGroupBox) -> Clipped | None:
    title = _plain(box.title())
    if not title.strip():
        return None
    option = QStyleOptionGroupBox()
    box.initStyleOption(option)
    area = box.style().subControlRect(QStyle.ComplexControl.CC_GroupBox, option,
                                      QStyle.SubControl.SC_GroupBoxLabel, box)
    needed = _text_size(box.fontMetrics(), title)
    if box.isCheckable():
        check = box.style().subControlRect(QStyle.ComplexControl.CC_GroupBox, option,
                                           QStyle.SubControl.SC_GroupBoxCheckBox, box)
        area = area.united(check)
        needed = (needed[0] + check.width(), needed[1])
    available = (min(area.width(), box.width() - max(area.left(), 0)), area.height())
    if needed[0] > available[0] + TOLERANCE or needed[1] > available[1] + TOLERANCE:
        return Clipped("", title, needed, available)
    return None


def _tab_bar(bar: QTabBar) -> list[Clipped]:
    found = []
    for index in range(bar.count()):
        if not bar.isTabVisible(index):
            continue
        text = _plain(bar.tabText(index))
        rect = bar.tabRect(index)
        hint = bar.tabSizeHint(index)
        if rect.width() + TOLERANCE < hint.width() or rect.height() + TOLERANCE < bar.fontMetrics().height():
            found.append(Clipped(f"[tab {index}]", text, (hint.width(), hint.height()), (rect.width(), rect.height())))
        elif not bar.rect().contains(rect.adjusted(TOLERANCE, 0, -TOLERANCE, 0)):
            found.append(Clipped(f"[tab {index} out of view]", text, (rect.right(), rect.height()),
                                 (bar.width(), bar.height())))
    return found


def _combo(combo: QComboBox) -> Clipped | None:
    text = combo.currentText()
    if not text.strip() or combo.isEditable():
        return None
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    area = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                        QStyle.SubControl.SC_ComboBoxEditField, combo)
    needed = _text_size(combo.fontMetrics(), text)
    icon = combo.iconSize().width() + 4 if not combo.itemIcon(combo.currentIndex()).isNull() else 0
    available = (area.width() - icon, area.height())
    if needed[0] > available[0] + TOLERANCE or needed[1] > available[1] + TOLERANCE:
        return Clipped("", text, needed, available)
    return None


def _rect_in(widget: QWidget, root: QWidget) -> QRect:
    return QRect(widget.mapTo(root, QPoint(0, 0)) if widget is not root else QPoint(0, 0), widget.size())


def _sticks_out(widget: QWidget, root: QWidget) -> tuple[QRect, QRect] | None:
    """The widget's rect and the ancestor's it leaves (both in root coordinates), or None.
    Inside a scroll area only a direction that cannot be scrolled counts (e.g. a form whose
    horizontal scroll bar is off must fit the width of the view)."""
    mine = _rect_in(widget, root)
    w = widget.parentWidget()
    while w is not None:
        theirs = _rect_in(w, root)
        area = w.parentWidget() if not w.isWindow() else None
        if isinstance(area, QAbstractScrollArea) and area.viewport() is w:
            off = Qt.ScrollBarPolicy.ScrollBarAlwaysOff
            left_right = area.horizontalScrollBarPolicy() == off
            up_down = area.verticalScrollBarPolicy() == off
            if left_right and (mine.left() < theirs.left() - TOLERANCE or mine.right() > theirs.right() + TOLERANCE) \
                    or up_down and (mine.top() < theirs.top() - TOLERANCE
                                    or mine.bottom() > theirs.bottom() + TOLERANCE):
                return mine, theirs
            # the rest can be scrolled into view; what shows must still fit the window
            mine = mine.intersected(theirs)
            if mine.isEmpty():
                return None
        elif not theirs.adjusted(-TOLERANCE, -TOLERANCE, TOLERANCE, TOLERANCE).contains(mine):
            return mine, theirs
        if w is root or w.isWindow():
            break
        w = w.parentWidget()
    return None


def _list_items(view: QListWidget) -> list[Clipped]:
    """Items of a list that are cut short or reach past the list's sides (scrolling sideways
    through a list of words is not a way to read them)."""
    found = []
    # A wrapped item may reach its padding's width past the side; its text wraps inside.
    width = view.viewport().width() + (WRAPPED_ITEM_SLACK if view.wordWrap() else 0)
    for row in range(min(view.count(), 200)):
        item = view.item(row)
        if item.isHidden():
            continue
        rect = view.visualItemRect(item)
        if rect.isEmpty():
            continue
        hint = view.sizeHintForIndex(view.indexFromItem(item))
        if view.wordWrap():  # the view wraps the text into the height it gives the item
            hint = rect.size().boundedTo(QSize(width - rect.left(), rect.height()))
        if rect.width() + TOLERANCE < hint.width() or rect.left() < -TOLERANCE \
                or rect.left() + hint.width() > width + TOLERANCE or rect.right() > width + TOLERANCE:
            found.append(Clipped(f"[item {row}]", item.text(), (hint.width(), hint.height()), (width, rect.height())))
    return found


CHECKED = (QLabel, QAbstractButton, QGroupBox, QTabBar, QComboBox, QListWidget)


def clipped_widgets(root: QWidget) -> list[Clipped]:
    """Every visible widget under ``root`` (and ``root`` itself) whose text does not fit."""
    found: list[Clipped] = []
    widgets = [root, *root.findChildren(QWidget)]
    for widget in widgets:
        if not isinstance(widget, CHECKED) or not widget.isVisibleTo(root) or not root.isVisible() \
                and widget is not root:
            continue
        if widget.window() is not root.window() or widget.width() <= 0 or widget.height() <= 0:
            continue
        results: list[Clipped] = []
        if isinstance(widget, QLabel):
            results = [c for c in [_label(widget)] if c]
        elif isinstance(widget, QAbstractButton):
            results = [c for c in [_button(widget)] if c]
        elif isinstance(widget, QGroupBox):
            results = [c for c in [_group_box(widget)] if c]
        elif isinstance(widget, QTabBar):
            results = _tab_bar(widget)
        elif isinstance(widget, QComboBox):
            results = [c for c in [_combo(widget)] if c]
        elif isinstance(widget, QListWidget):
            results = _list_items(widget)
        path = object_path(widget, root)
        found.extend(Clipped(path + c.path, c.text, c.needed, c.available) for c in results)
        text = _widget_text(widget)
        if text and widget is not root:
            out = _sticks_out(widget, root)
            if out is not None:
                mine, theirs = out
                found.append(Clipped(path + " [outside its parent]", text, (mine.right(), mine.bottom()),
                                     (theirs.right(), theirs.bottom())))
    return found


def _widget_text(widget: QWidget) -> str:
    if isinstance(widget, QLabel):
        return widget.text() if widget.pixmap() is None or widget.pixmap().isNull() else ""
    if isinstance(widget, QAbstractButton):
        return widget.text()
    if isinstance(widget, QGroupBox):
        return widget.title()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    return ""


def report(found: list[Clipped]) -> str:
    return "\n".join(str(c) for c in found)
