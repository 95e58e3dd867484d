"""Small reusable widgets: district combo, checkable lists, read-only tables."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QComboBox, QHeaderView, QLabel, QListView, QListWidget, QListWidgetItem, QMenu,
    QProxyStyle, QStackedWidget, QStyle, QStyledItemDelegate, QTableView, QTableWidget, QTableWidgetItem, QWidget,
)

from shakyo_desk.i18n import tr
from shakyo_desk.store.services.districts import DistrictInfo
from shakyo_desk.ui.appearance import current_scale, item_colour


def fill_district_combo(combo: QComboBox, districts: Iterable[DistrictInfo], *, empty_label: str | None = None,
                        selected: str | None = None) -> None:
    """Tree order with indentation; the id is the item data."""
    combo.blockSignals(True)
    combo.clear()
    if empty_label is not None:
        combo.addItem(empty_label, None)
    for d in districts:
        combo.addItem("\u3000" * d.depth + d.name, d.id)
        combo.setItemData(combo.count() - 1, d.path, Qt.ItemDataRole.ToolTipRole)
    index = combo.findData(selected) if selected is not None else 0
    combo.setCurrentIndex(max(0, index))
    combo.blockSignals(False)


CHECK_TARGET = 20  # pixels: a check box in a list at the standard text size (it grows with the text)
ROW_PADDING = 3  # pixels above and below a list row's text at the standard text size


def _compact(widget) -> bool:
    """A list laid out in rows of choices (contact_entry.compact_checklist) sits in a tight form."""
    return isinstance(widget, QListView) and widget.flow() == QListView.Flow.LeftToRight


def check_target(widget) -> int:
    """The side of a list's check box: ``CHECK_TARGET`` at the standard text size, grown with
    the text size and never smaller than a line of the widget's text. In a compact list of
    choices side by side: ``CHECK_TARGET``, or a line of text and a little more."""
    line = widget.fontMetrics().height() + 4
    if _compact(widget):
        return max(CHECK_TARGET, line)
    return max(round(CHECK_TARGET * current_scale()), line)


class _RoomyChecks(QProxyStyle):
    """The application's style, with a check box in a list row as big as ``check_target``."""

    def pixelMetric(self, metric, option=None, widget=None) -> int:  # noqa: N802
        if metric in (QStyle.PixelMetric.PM_IndicatorWidth, QStyle.PixelMetric.PM_IndicatorHeight) \
                and isinstance(widget, QAbstractItemView) and widget.property(_ROOMY) is True:
            return check_target(widget)
        return super().pixelMetric(metric, option, widget)


_roomy_style: list[_RoomyChecks] = []
_ROOMY = "shakyoRoomyChecks"


def _roomy_checks() -> _RoomyChecks:
    """One style for every check list (it belongs to the application, which outlives them)."""
    if not _roomy_style:
        style = _RoomyChecks()
        style.setParent(QApplication.instance())
        _roomy_style.append(style)
    return _roomy_style[0]


def roomy_checks(view: QAbstractItemView) -> None:
    """Check boxes of ``check_target`` pixels in ``view``'s items (its rows must be allowed to
    grow to them: a list, or a table whose rows are sized to their contents)."""
    view.setProperty(_ROOMY, True)
    view.setStyle(_roomy_checks())


class _CheckRow(QStyledItemDelegate):
    """Rows with room around their text (they never touch), at least as tall as the check box;
    a click anywhere on a row ticks it, as on a check box's label."""

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        size = super().sizeHint(option, index)
        view = option.widget or self.parent()
        padding = 1 if _compact(view) else max(ROW_PADDING, round(ROW_PADDING * current_scale()))
        return QSize(size.width(), max(size.height(), check_target(view)) + 2 * padding)

    def editorEvent(self, event, model, option, index) -> bool:  # noqa: N802
        flags = index.flags()
        if event.type() == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton \
                and flags & Qt.ItemFlag.ItemIsUserCheckable and flags & Qt.ItemFlag.ItemIsEnabled \
                and option.rect.contains(event.position().toPoint()):
            checked = index.data(Qt.ItemDataRole.CheckStateRole) in (Qt.CheckState.Checked, Qt.CheckState.Checked.value)
            return model.setData(index, Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked,
                                 Qt.ItemDataRole.CheckStateRole)
        return super().editorEvent(event, model, option, index)


class CheckList(QListWidget):
    """A list of checkable choices: rows apart from each other, check boxes of at least
    ``CHECK_TARGET`` pixels that grow with the text size, a click on a row's text ticks it."""

    def __init__(self, choices: Iterable[str], checked: Iterable[str] = (), parent=None, *,
                 data: Iterable | None = None):
        super().__init__(parent)
        self._fit_rows: int | None = None
        # Long names wrap instead of running off the side (large text). No item style sheet:
        # Qt cuts wrapped text short in items drawn through one.
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        roomy_checks(self)
        self.setItemDelegate(_CheckRow(self))
        checked = set(checked)
        values = list(data) if data is not None else None
        for i, label in enumerate(choices):
            item = QListWidgetItem(label)
            value = values[i] if values is not None else label
            item.setData(Qt.ItemDataRole.UserRole, value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if value in checked else Qt.CheckState.Unchecked)
            self.addItem(item)

    def checked(self) -> list:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())
                if self.item(i).checkState() == Qt.CheckState.Checked]

    def set_checked(self, values: Iterable) -> None:
        values = set(values)
        for i in range(self.count()):
            item = self.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in values
                               else Qt.CheckState.Unchecked)

    def fit_height(self, rows: int) -> None:
        """As tall as ``rows`` rows (or as many as it has), again whenever the text size changes."""
        self._fit_rows = rows
        height = max(self.sizeHintForRow(0) if self.count() else 0, self.fontMetrics().height() + 8)
        self.setFixedHeight(height * min(rows, max(1, self.count())) + 2 * self.frameWidth() + 4)

    def changeEvent(self, event) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange) and self._fit_rows is not None:
            self.fit_height(self._fit_rows)


# ---- read-only tables ---------------------------------------------------------------

def setup_table(table: QTableView, widths: Iterable[int] = ()) -> None:
    """Read only, one whole row selected at a time, columns the user can resize."""
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    scale = current_scale()  # widths are for the standard text size
    for column, width in enumerate(widths):
        table.setColumnWidth(column, round(width * scale))


def make_table(headers: Iterable[str], widths: Iterable[int] = (), *,
               fit: Sequence[Column] | None = None, wrap: bool = False) -> QTableWidget:
    """A read-only table; with ``fit``, its columns follow the view's width (``fit_columns``)."""
    headers = list(headers)
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels([tr(h) for h in headers])
    setup_table(table, widths)
    if fit is not None:
        fit_columns(table, fit, wrap=wrap)
    return table


# ---- columns that fit the view --------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """How one column of a list behaves when the view is narrow (a large text size, a small
    laptop). Widths are pixels at the standard text size; they grow with it.

    ``sample``: a typical value; the column is never made narrower than it (nor than its title)
    unless the person narrows it by hand. ``width``: the width it gets when there is room.
    ``drop``: 0 — always shown; 1, 2 … — less important: narrowed first, and hidden when even
    the narrowest widths do not fit, the highest number first (the header's menu shows it again). ``stretch``: takes the room left
    over (a note, an address); a value too long for it ends in "…" and is whole in its tooltip.
    """

    sample: str = ""
    width: int = 0
    drop: int = 0
    stretch: bool = False


CELL_SLACK = 4  # pixels beyond the text and the style's margins, so a value never touches the grid


class ColumnFit(QObject):
    """Keeps a table's columns inside its view (see ``Column``): laid out again when the view
    is resized, when the text size changes and when the columns change. The header's context
    menu shows or hides any column; its tooltip names the columns hidden for want of room."""

    def __init__(self, table: QTableView, columns: Sequence[Column], *, wrap: bool = False):
        super().__init__(table)
        self.setObjectName("shakyoColumnFit")
        self.table = table
        self.columns = list(columns)
        self.wrap = wrap
        self.user_hidden: set[int] = set()  # hidden from the header's menu
        self.user_shown: set[int] = set()  # shown from the header's menu although it had given way
        self.user_width: dict[int, float] = {}  # resized by hand (pixels at the standard text size)
        self.given_way: list[int] = []  # hidden in the last layout for want of room
        self._laying_out = False
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._context_menu)
        header.sectionResized.connect(self._resized_by_hand)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.viewport = table.viewport()
        table.installEventFilter(self)
        self.viewport.installEventFilter(self)
        model = table.model()
        # Queued: a model emptied while its table is being destroyed must not lay out that table.
        for signal in (model.modelReset, model.columnsInserted, model.columnsRemoved, model.headerDataChanged):
            signal.connect(self.layout, Qt.ConnectionType.QueuedConnection)
        if wrap:  # rows as tall as their wrapped text, measured once after a burst of changes
            table.setWordWrap(True)
            self._rows_timer = QTimer(self)
            self._rows_timer.setSingleShot(True)
            self._rows_timer.setInterval(0)
            self._rows_timer.timeout.connect(table.resizeRowsToContents)
            for signal in (model.modelReset, model.rowsInserted, model.dataChanged, model.layoutChanged):
                signal.connect(self._rows_timer.start)
        self.layout()

    # ---- what each column needs ------------------------------------------------------

    def spec(self, column: int) -> Column:
        return self.columns[column] if column < len(self.columns) else Column()

    def title(self, column: int) -> str:
        return str(self.table.model().headerData(column, Qt.Orientation.Horizontal) or "")

    def _margins(self) -> tuple[int, int]:
        style, table = self.table.style(), self.table
        cell = 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1) + 1 + CELL_SLACK
        header = 2 * style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, table.horizontalHeader()) + 2 \
            + CELL_SLACK
        return cell, header

    def widths(self, column: int) -> tuple[int, int]:
        """(narrowest, wanted) width of a column now, in pixels."""
        scale = current_scale()
        if column in self.user_width:
            width = round(self.user_width[column] * scale)
            return width, width
        spec = self.spec(column)
        cell, head = self._margins()
        fm, header_fm = self.table.fontMetrics(), self.table.horizontalHeader().fontMetrics()
        narrowest = max(fm.horizontalAdvance(spec.sample) + cell if spec.sample else 0,
                        header_fm.horizontalAdvance(self.title(column)) + head)
        return narrowest, max(narrowest, round(spec.width * scale))

    # ---- layout --------------------------------------------------------------------------

    def layout(self, *_args) -> None:
        if self._laying_out:
            return
        table = self.table
        count = table.model().columnCount()
        room = table.viewport().width()
        if count == 0 or room <= 0:
            return
        if set(range(count)) <= self.user_hidden:
            self.user_hidden.clear()  # never every column
        shown = [c for c in range(count) if c not in self.user_hidden]
        sizes = {c: self.widths(c) for c in shown}
        # Least important first; among equals the rightmost first.
        may_go = sorted((c for c in shown if self.spec(c).drop > 0 and c not in self.user_shown),
                        key=lambda c: (-self.spec(c).drop, -c))
        given_way = []
        while may_go and sum(sizes[c][0] for c in shown) > room:
            gone = may_go.pop(0)
            shown.remove(gone)
            given_way.append(gone)
        width = {c: sizes[c][1] for c in shown}
        excess = sum(width.values()) - room
        # The least important columns give up their spare width first; columns of the same
        # importance each give the same share of theirs.
        for level in sorted({self.spec(c).drop for c in shown}, reverse=True):
            if excess <= 0:
                break
            group = [c for c in shown if self.spec(c).drop == level]
            slack = sum(sizes[c][1] - sizes[c][0] for c in group)
            if slack <= 0:
                continue
            share = min(1.0, excess / slack)
            for c in group:
                cut = min(sizes[c][1] - sizes[c][0], int((sizes[c][1] - sizes[c][0]) * share + 0.999))
                width[c] -= cut
                excess -= cut
        spare = room - sum(width.values())
        if spare > 0 and shown:
            takers = [c for c in shown if self.spec(c).stretch and c not in self.user_width] or [shown[-1]]
            for i, c in enumerate(takers):
                width[c] += spare // len(takers) + (1 if i < spare % len(takers) else 0)
        self._laying_out = True
        try:
            header = table.horizontalHeader()
            for c in range(count):
                header.setSectionHidden(c, c not in width)
                if c in width and header.sectionSize(c) != width[c]:
                    header.resizeSection(c, width[c])
        finally:
            self._laying_out = False
        self.given_way = given_way
        self._explain()
        if self.wrap:
            self._rows_timer.start()

    def _explain(self) -> None:
        hint = tr("見出しを右クリックすると、表示する列を選べます。")
        if self.given_way:
            names = "、".join(f"「{self.title(c)}」" for c in sorted(self.given_way))
            hint = tr("幅が足りないため、{names}の列を隠しています。", names=names) + hint
        self.table.horizontalHeader().setToolTip(hint)

    def _resized_by_hand(self, column: int, _old: int, new: int) -> None:
        if self._laying_out or new <= 0:
            return
        self.user_width[column] = new / current_scale()
        self.layout()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.Resize:
            if watched is self.viewport and event.size().width() != event.oldSize().width():
                self.layout()
        elif kind in (QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.Show) and watched is self.table:
            self.layout()
        return False

    # ---- the header's menu --------------------------------------------------------------

    def set_shown(self, column: int, shown: bool) -> None:
        if shown:
            self.user_hidden.discard(column)
            if self.table.horizontalHeader().isSectionHidden(column):
                self.user_shown.add(column)
        else:
            self.user_shown.discard(column)
            self.user_hidden.add(column)
        self.layout()

    def reset(self) -> None:
        self.user_hidden.clear()
        self.user_shown.clear()
        self.user_width.clear()
        self.layout()

    def menu(self) -> QMenu:
        """表示する列: every column, ticked when shown; and back to the automatic layout."""
        menu = QMenu(self.table)
        menu.addSection(tr("表示する列"))
        header = self.table.horizontalHeader()
        visible = [c for c in range(header.count()) if not header.isSectionHidden(c)]
        for c in range(self.table.model().columnCount()):
            action = QAction(self.title(c), menu)
            action.setCheckable(True)
            action.setChecked(c in visible)
            action.setEnabled(visible != [c])  # the last column shown stays
            action.toggled.connect(lambda checked, c=c: self.set_shown(c, checked))
            menu.addAction(action)
        menu.addSeparator()
        back = menu.addAction(tr("列の幅と表示を元に戻す"), self.reset)
        back.setEnabled(bool(self.user_hidden or self.user_shown or self.user_width))
        return menu

    def _context_menu(self, pos) -> None:
        self.context_menu = self.menu()
        self.context_menu.popup(self.table.horizontalHeader().mapToGlobal(pos))


def fit_columns(table: QTableView, columns: Sequence[Column], *, wrap: bool = False) -> ColumnFit:
    """Make ``table``'s columns (one ``Column`` each, by position) fit its view at every text
    size and window width; the table keeps the returned object. ``wrap``: long values wrap and
    each row is as tall as its text (short lists only: every row is measured)."""
    return ColumnFit(table, columns, wrap=wrap)


def column_fit(table: QTableView) -> ColumnFit | None:
    return table.findChild(ColumnFit, "shakyoColumnFit", Qt.FindChildOption.FindDirectChildrenOnly)


def table_or_empty(table: QTableView) -> tuple[QStackedWidget, QLabel]:
    """The table, or in its place a large centred message for when there is nothing to list."""
    empty = QLabel()
    empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
    empty.setWordWrap(True)
    empty.setStyleSheet("color: #555; font-size: 12pt; padding: 40px;")
    stack = QStackedWidget()
    stack.addWidget(table)
    stack.addWidget(empty)
    return stack, empty


def text_item(text: str, colour: str | None = None, bold: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(text)
    if colour:
        item.setForeground(QBrush(QColor(item_colour(colour))))
    if bold:
        font = item.font()
        font.setBold(True)
        item.setFont(font)
    return item


def fill_table(table: QTableWidget, rows: list[tuple], ids: list | None = None) -> None:
    """Rows of text (or ready items); the row's id goes in column 0's UserRole."""
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = value if isinstance(value, QTableWidgetItem) else QTableWidgetItem("" if value is None else str(value))
            if not item.toolTip():
                item.setToolTip(item.text())
            table.setItem(r, c, item)
        if ids is not None:
            table.item(r, 0).setData(Qt.ItemDataRole.UserRole, ids[r])


class _OnEnter(QObject):
    def __init__(self, widget: QWidget, action: Callable[[], object]):
        super().__init__(widget)  # lives as long as the widget
        self.action = action
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.action()
            return True
        return super().eventFilter(watched, event)


def on_enter(widget: QWidget, action: Callable[[], object]) -> None:
    """Enter on ``widget`` (a list: open the row) runs ``action`` instead of the dialog's default button."""
    _OnEnter(widget, action)


def selected_id(table: QTableWidget):
    row = table.currentRow()
    item = table.item(row, 0) if row >= 0 else None
    return item.data(Qt.ItemDataRole.UserRole) if item is not None else None
