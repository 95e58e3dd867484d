"""Per-user appearance: text size, high contrast and a visible keyboard focus frame.

These are choices of the person at this PC (kept in ``UiSettings``, never in the council's
data) and apply to the whole application at once, before the first screen is shown.

How a text size reaches every widget:

- the application font's point size becomes the base size times the chosen step;
- style sheets set in code (``font-size: 15pt`` on a page title, colours of hints and
  warnings) go through one function, ``adapt_css``, when a widget is polished or its style
  sheet changes; the original is kept in a widget property so the rewrite is redone from it
  when the size or the contrast changes;
- fonts set explicitly (the big recovery key and enrolment code) go through
  ``set_scaled_font``.

While the appearance is the default (100 %, normal contrast) style sheets are left exactly
as written and no event filter is installed. Otherwise the same filter also grows a dialog
that is shown to what its contents need (``fit_window_to_contents``).

High contrast: black text on white, strong black borders, and every colour a style sheet or
a table item uses replaced by a high-contrast equivalent (greys become black, coloured text
is darkened to at least 10:1 on white, light backgrounds become white, dark ones black).

Focus: the widget with the keyboard focus gets a thick frame drawn around it (``FocusFrames``,
an overlay that changes nothing in the widget's own look), in both modes, and in a focused
list or table a thinner one around the current item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QFont, QKeySequence, QPainter, QPalette, QPen
from PySide6.QtWidgets import QAbstractItemView, QApplication, QDialog, QLabel, QMenu, QScrollArea, QWidget

from shakyo_desk.i18n import tr


@dataclass(frozen=True)
class TextSize:
    percent: int
    label: str


TEXT_SIZES = (
    TextSize(100, "標準"),
    TextSize(115, "やや大きい"),
    TextSize(130, "大きい"),
    TextSize(150, "とても大きい"),
)
STANDARD = TEXT_SIZES[0].percent
LARGEST = TEXT_SIZES[-1].percent

FOCUS_COLOUR = "#1a5fb4"
FOCUS_WIDTH = 3
HC_FOCUS_COLOUR = "#0033cc"
HC_FOCUS_WIDTH = 4

# Widget properties that remember what the code asked for.
_BASE_CSS = "shakyoBaseCss"
_OUT_CSS = "shakyoCss"
_BASE_POINT_SIZE = "shakyoBasePointSize"
_OBJECT_NAME = "shakyoAppearance"
RING_NAME = "shakyoFocusRing"


def _prop(widget: QObject, name: str):
    """A dynamic property, or ``None`` when it is not set. (Asked only when set: PySide6 6.12
    returns ``None`` for a missing property without holding a reference to it.)"""
    if name.encode() not in {bytes(n) for n in widget.dynamicPropertyNames()}:
        return None
    return widget.property(name)


def nearest_size(percent: int | float | str | None) -> int:
    """The step closest to ``percent`` (anything unreadable is the standard size)."""
    try:
        value = float(percent)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return STANDARD
    return min(TEXT_SIZES, key=lambda s: abs(s.percent - value)).percent


def size_label(percent: int) -> str:
    size = next(s for s in TEXT_SIZES if s.percent == nearest_size(percent))
    return tr("{label}（{percent}%）", label=tr(size.label), percent=size.percent)


# ---- colours -------------------------------------------------------------------------------

def _luminance(colour: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast_ratio(a: str | QColor, b: str | QColor) -> float:
    la, lb = _luminance(QColor(a)), _luminance(QColor(b))
    light, dark = max(la, lb), min(la, lb)
    return (light + 0.05) / (dark + 0.05)


def hc_text_colour(colour: str) -> str:
    """A text colour for high contrast: light stays white (it sits on a dark background), grey
    becomes black, a colour keeps its hue but is darkened to at least 10:1 on white."""
    c = QColor(colour)
    if not c.isValid():
        return colour
    if _luminance(c) > 0.5:
        return "#ffffff"
    if c.hsvSaturationF() < 0.25:
        return "#000000"
    factor = 1.0
    darker = c.name()
    while factor > 0 and contrast_ratio(darker, "#ffffff") < 10:
        factor = max(factor - 0.02, 0.0)
        darker = QColor.fromRgbF(c.redF() * factor, c.greenF() * factor, c.blueF() * factor).name()
    return darker


def hc_background(colour: str) -> str:
    c = QColor(colour)
    if not c.isValid():
        return colour
    return "#ffffff" if _luminance(c) >= 0.35 else "#000000"


# ---- style sheets --------------------------------------------------------------------------

_FONT_SIZE = re.compile(r"(font-size\s*:\s*)(\d+(?:\.\d+)?)\s*(pt|px)", re.IGNORECASE)
_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\brgba?\([^)]*\)|\b(?:white|black|gray|grey|red|green|blue|orange)\b",
                     re.IGNORECASE)
_DECLARATION = re.compile(
    r"(?P<prop>(?<![\w-])(?:color|background(?:-color)?|border(?:-(?:top|bottom|left|right))?(?:-color)?|"
    r"selection-color|selection-background-color|alternate-background-color))(?P<sep>\s*:\s*)(?P<value>[^;}]*)",
    re.IGNORECASE)
_RULE = re.compile(r"([^{}]*)\{([^{}]*)\}")


def _scale_sizes(css: str, scale: float) -> str:
    def scaled(m: re.Match) -> str:
        value = float(m[2]) * scale
        value = round(value * 2) / 2 if m[3].lower() == "pt" else round(value)
        text = f"{value:g}"
        return f"{m[1]}{text}{m[3]}"

    return _FONT_SIZE.sub(scaled, css)


def _contrast_declarations(declarations: str, disabled: bool) -> str:
    def one(m: re.Match) -> str:
        prop = m["prop"].lower()
        if prop.startswith("border"):
            mapper = (lambda _c: "#000000")
        elif prop.startswith("background") or prop in ("selection-background-color", "alternate-background-color"):
            mapper = hc_background
        elif disabled:
            mapper = (lambda c: "#595959" if _luminance(QColor(c)) <= 0.5 else "#ffffff")
        else:
            mapper = hc_text_colour
        value = _COLOUR.sub(lambda c: mapper(c[0]), m["value"])
        return f"{m['prop']}{m['sep']}{value}"

    return _DECLARATION.sub(one, declarations)


def _high_contrast(css: str) -> str:
    if "{" not in css:
        return _contrast_declarations(css, disabled=False)
    return _RULE.sub(lambda m: m[1] + "{" + _contrast_declarations(m[2], ":disabled" in m[1]) + "}", css)


def adapt_css(css: str, scale: float = 1.0, high_contrast: bool = False) -> str:
    """A style sheet written for the standard look, for ``scale`` and the contrast chosen:
    ``font-size`` values scaled (to half points), colours swapped for high contrast."""
    if not css:
        return css
    if scale != 1.0:
        css = _scale_sizes(css, scale)
    if high_contrast:
        css = _high_contrast(css)
    return css


HIGH_CONTRAST_CSS = """
QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox, QComboBox {
    border: 2px solid #000000; border-radius: 2px; background: #ffffff; color: #000000; padding: 2px;
}
QLineEdit:disabled, QPlainTextEdit:disabled, QTextEdit:disabled, QAbstractSpinBox:disabled, QComboBox:disabled {
    border: 2px dashed #595959; color: #595959;
}
QAbstractItemView { border: 2px solid #000000; background: #ffffff; color: #000000; }
QPushButton, QToolButton {
    border: 2px solid #000000; border-radius: 4px; background: #ffffff; color: #000000; padding: 4px 10px;
}
QPushButton:default { border-width: 3px; }
QPushButton:hover, QToolButton:hover { background: #e8e8e8; }
QPushButton:pressed, QPushButton:checked, QToolButton:pressed, QToolButton:checked {
    background: #000000; color: #ffffff;
}
QPushButton:disabled, QToolButton:disabled { border: 2px dashed #595959; color: #595959; background: #ffffff; }
QPushButton:flat { border: none; }
QGroupBox { border: 2px solid #000000; border-radius: 4px; margin-top: 1.5em; padding-top: 0.3em; }
QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 4px; color: #000000; }
QTabBar::tab { border: 2px solid #000000; padding: 5px 12px; background: #ffffff; color: #000000; }
QTabBar::tab:selected { background: #000000; color: #ffffff; }
QHeaderView::section { border: 1px solid #000000; background: #ffffff; color: #000000; padding: 3px; font-weight: bold; }
QToolTip { border: 2px solid #000000; background: #ffffff; color: #000000; }
QMenuBar { border-bottom: 2px solid #000000; }
QMenu { border: 2px solid #000000; }
QStatusBar { border-top: 2px solid #000000; }
QSplitter::handle { background: #000000; }
QProgressBar { border: 2px solid #000000; background: #ffffff; color: #000000; text-align: center; }
QProgressBar::chunk { background: #000000; }
"""


def high_contrast_palette() -> QPalette:
    white, black, grey = QColor("#ffffff"), QColor("#000000"), QColor("#595959")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: white, QPalette.ColorRole.WindowText: black, QPalette.ColorRole.Base: white,
        QPalette.ColorRole.AlternateBase: QColor("#f0f0f0"), QPalette.ColorRole.Text: black,
        QPalette.ColorRole.Button: white, QPalette.ColorRole.ButtonText: black,
        QPalette.ColorRole.BrightText: white, QPalette.ColorRole.ToolTipBase: white,
        QPalette.ColorRole.ToolTipText: black, QPalette.ColorRole.Highlight: QColor("#000080"),
        QPalette.ColorRole.HighlightedText: white, QPalette.ColorRole.Link: QColor("#0000cc"),
        QPalette.ColorRole.LinkVisited: QColor("#551a8b"), QPalette.ColorRole.PlaceholderText: grey,
        QPalette.ColorRole.Light: white, QPalette.ColorRole.Midlight: white, QPalette.ColorRole.Mid: black,
        QPalette.ColorRole.Dark: black, QPalette.ColorRole.Shadow: black,
    }
    for role, colour in roles.items():
        palette.setColor(role, colour)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, grey)
    return palette


# ---- the application's state -----------------------------------------------------------------

class Appearance(QObject):
    """The text size and contrast of one QApplication (a child of it; ``appearance_of(app)``)."""

    changed = Signal()

    def __init__(self, app: QApplication):
        super().__init__(app)
        self.setObjectName(_OBJECT_NAME)
        self.app = app
        size = app.font().pointSizeF()
        self.base_point_size = size if size > 0 else 10.5
        self.normal_palette = QPalette(app.palette())
        self.percent = STANDARD
        self.high_contrast = False
        self._filtering = False
        self.focus_frames = FocusFrames(app, self)
        app.aboutToQuit.connect(self._quitting)

    @property
    def scale(self) -> float:
        return self.percent / 100

    @property
    def is_default(self) -> bool:
        return self.percent == STANDARD and not self.high_contrast

    def apply(self, percent: int, high_contrast: bool) -> None:
        percent = nearest_size(percent)
        if percent == self.percent and high_contrast == self.high_contrast:
            return
        self.percent, self.high_contrast = percent, bool(high_contrast)
        font = QFont(self.app.font())
        font.setPointSizeF(self.base_point_size * self.scale)
        self.app.setFont(font)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.ApplicationFontChange)  # now, not later
        self.app.setPalette(high_contrast_palette() if self.high_contrast else self.normal_palette)
        self.app.setStyleSheet(HIGH_CONTRAST_CSS if self.high_contrast else "")
        if not self.is_default and not self._filtering:
            self.app.installEventFilter(self)
            self._filtering = True
        for widget in QApplication.allWidgets():
            self._adapt(widget)
            if _prop(widget, _BASE_POINT_SIZE) is not None:
                _apply_scaled_font(widget, self.scale)
        if self.is_default and self._filtering:
            self.app.removeEventFilter(self)
            self._filtering = False
        self.focus_frames.set_style(HC_FOCUS_COLOUR if self.high_contrast else FOCUS_COLOUR,
                                    HC_FOCUS_WIDTH if self.high_contrast else FOCUS_WIDTH)
        self.changed.emit()

    def _quitting(self) -> None:
        """Windows are torn down after this: no more rewriting of their style sheets."""
        if self._filtering:
            self.app.removeEventFilter(self)
            self._filtering = False

    def remove(self) -> None:
        """Back to the standard look and no focus frames (tests; the app keeps its appearance)."""
        self.apply(STANDARD, False)
        self.focus_frames.stop()
        self.app.setStyleSheet("")
        self.setParent(None)
        self.deleteLater()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if (kind == QEvent.Type.Polish or kind == QEvent.Type.StyleChange) and watched.isWidgetType():
            self._adapt(watched)
        elif (kind == QEvent.Type.Show or kind == QEvent.Type.LayoutRequest) and isinstance(watched, QDialog) \
                and watched.isVisible():
            fit_window_to_contents(watched)  # grows only; also when contents grow after it is shown
        return False

    def _adapt(self, widget: QWidget) -> None:
        css = widget.styleSheet()
        written = _prop(widget, _OUT_CSS)
        if not css:
            if written:  # the code cleared its style sheet: forget ours
                widget.setProperty(_OUT_CSS, None)
                widget.setProperty(_BASE_CSS, None)
            return
        base = _prop(widget, _BASE_CSS) if css == written else css
        if not base:
            return
        out = adapt_css(base, self.scale, self.high_contrast)
        widget.setProperty(_BASE_CSS, base)
        widget.setProperty(_OUT_CSS, out)
        if out != css:
            widget.setStyleSheet(out)


def fit_window_to_contents(window: QWidget) -> None:
    """Grow a dialog to what its contents need, as far as its screen has room (``dialogs.room_for``).
    Dialogs are sized for the standard text; at a larger size, or with high contrast's thicker
    borders, they need more room, and a size a dialog set for itself (``setMinimumSize``) would
    otherwise squeeze them."""
    layout = window.layout()
    if layout is None:
        return
    from shakyo_desk.ui.dialogs import room_for

    minimum = layout.totalMinimumSize()
    width = max(window.width(), minimum.width())
    height = max(window.height(), minimum.height())
    if layout.hasHeightForWidth():
        height = max(height, layout.totalHeightForWidth(width))
    room = room_for(window)  # never past the screen: long dialogs scroll instead
    if room is not None:
        width, height = min(width, max(room.width(), window.width())), min(height, max(room.height(), window.height()))
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)


def appearance_of(app: QApplication | None = None) -> Appearance | None:
    app = app or QApplication.instance()
    if app is None:
        return None
    found = app.findChildren(Appearance, _OBJECT_NAME, Qt.FindChildOption.FindDirectChildrenOnly)
    return found[0] if found else None


def install(app: QApplication, ui_settings=None) -> Appearance:
    """Make ``app`` follow the person's text size and contrast (read from ``ui_settings``);
    call once before the first screen."""
    from shakyo_desk.ui.dialogs import install_screen_fit

    install_screen_fit(app)  # every window inside its screen, before the first one
    current = appearance_of(app) or Appearance(app)
    if ui_settings is not None:
        current.apply(ui_settings.text_size(), ui_settings.high_contrast())
    return current


def current_scale() -> float:
    current = appearance_of()
    return current.scale if current is not None else 1.0


def high_contrast_on() -> bool:
    current = appearance_of()
    return bool(current and current.high_contrast)


def item_colour(colour: str) -> str:
    """The colour for a table item's text (its high-contrast equivalent when that is on)."""
    return hc_text_colour(colour) if high_contrast_on() else colour


def _apply_scaled_font(widget: QWidget, scale: float) -> None:
    font = QFont(widget.font())
    font.setPointSizeF(float(_prop(widget, _BASE_POINT_SIZE)) * scale)
    widget.setFont(font)


def follow_text_size(*widgets: QWidget) -> None:
    """Widgets in the application's font that must grow with the text size although a style sheet
    of theirs (or of a parent: a banner's colours) keeps Qt from handing them a new application
    font: their font is set explicitly at the base size and scaled with ``set_scaled_font``."""
    app = QApplication.instance()
    current = appearance_of(app)
    base = current.base_point_size if current is not None else app.font().pointSizeF()
    for widget in widgets:
        font = QFont(widget.font())
        font.setPointSizeF(base)
        set_scaled_font(widget, font)


def set_scaled_font(widget: QWidget, font: QFont) -> None:
    """``widget.setFont(font)`` for a font with its own size (e.g. ``mono_font(22)``): the size
    follows the text size setting."""
    widget.setProperty(_BASE_POINT_SIZE, font.pointSizeF())
    widget.setFont(font)
    _apply_scaled_font(widget, current_scale())


class _FitWidthToItems(QObject):
    def __init__(self, view: QAbstractItemView, spare: int):
        super().__init__(view)
        self.view = view
        self.spare = spare
        view.installEventFilter(self)
        model = view.model()
        for signal in (model.rowsInserted, model.rowsRemoved, model.dataChanged, model.modelReset):
            signal.connect(self.fit)
        self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.fit()
        return False

    def fit(self, *_args) -> None:
        try:
            view, model = self.view, self.view.model()
        except RuntimeError:  # the list is being deleted (its rows go first)
            return
        widest = max((view.sizeHintForIndex(model.index(row, 0)).width() for row in range(model.rowCount())),
                     default=0)
        width = widest + 2 * view.frameWidth() + view.verticalScrollBar().sizeHint().width() + self.spare
        view.setMinimumWidth(width)
        if view.maximumWidth() < width:
            view.setMaximumWidth(width)


def fit_width_to_items(view: QAbstractItemView, spare: int = 4) -> None:
    """Keep a list at least as wide as its widest item (the navigation: no title cut off),
    whatever the text size; its maximum width grows when it has to."""
    _FitWidthToItems(view, spare)


class _FitWidthToContents(QObject):
    def __init__(self, area: QScrollArea):
        super().__init__(area)
        self.area = area
        area.widget().installEventFilter(self)
        self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.LayoutRequest:
            self.fit()
        return False

    def fit(self) -> None:
        area = self.area
        need = (area.widget().minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width()
                + 2 * area.frameWidth())
        area.setMinimumWidth(need)


def fit_width_to_contents(area: QScrollArea) -> None:
    """A scroll area that only scrolls up and down stays as wide as what it shows (with room
    for its scroll bar), so nothing is cut off on the right at a large text size."""
    _FitWidthToContents(area)


class _WrappedHeight(QObject):
    def __init__(self, label: QLabel):
        super().__init__(label)
        label.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize:
            need = watched.heightForWidth(watched.width())
            if need > 0 and need != watched.minimumHeight():
                watched.setMinimumHeight(need)
        return False


def keep_wrapped_text_visible(label: QLabel) -> None:
    """A word-wrapped label that always gets the height its lines need. Layouts inside a
    splitter or a group box do not ask for it by themselves, and at a large text size the
    last line would be cut off."""
    _WrappedHeight(label)


def _widen_menu(menu: QMenu) -> None:
    fm = menu.fontMetrics()
    actions = [a for a in menu.actions() if not a.isSeparator() and a.isVisible()]
    if not actions:
        return
    text = max(fm.horizontalAdvance(re.sub(r"&(.)", r"\1", a.text())) for a in actions)
    keys = max((fm.horizontalAdvance(a.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
                for a in actions if not a.shortcut().isEmpty()), default=0)
    menu.setMinimumWidth(text + keys + 2 * fm.height() + 48)


class _WholeMenuItems(QObject):
    def __init__(self, menu: QMenu):
        super().__init__(menu)
        menu.aboutToShow.connect(lambda: _widen_menu(menu))


def keep_menu_items_whole(*menus: QMenu) -> None:
    """Menus wide enough for their longest item beside the shortcuts' column, at every text size.
    (Fusion keeps the shortcuts' room on every row, so a long item in a menu with shortcuts was
    cut in the middle with "…".)"""
    for menu in menus:
        _WholeMenuItems(menu)


# ---- focus frame ------------------------------------------------------------------------------

class FocusRing(QWidget):
    """A frame drawn over a window around the widget that has the keyboard focus (and, in a
    list or table, a thinner one around the current item); it takes no clicks and no focus."""

    def __init__(self, window: QWidget, colour: str, width: int):
        super().__init__(window)
        self.setObjectName(RING_NAME)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.colour = QColor(colour)
        self.width_px = width
        self.item_rect = QRect()  # in this widget's coordinates; empty when there is none
        self.hide()

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(self.colour, self.width_px)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        half = self.width_px / 2
        painter.drawRoundedRect(self.rect().toRectF().adjusted(half, half, -half, -half), 4, 4)
        if not self.item_rect.isEmpty():
            inner = max(2, self.width_px - 1)
            pen.setWidth(inner)
            painter.setPen(pen)
            painter.drawRect(self.item_rect.toRectF().adjusted(inner / 2, inner / 2, -inner / 2, -inner / 2))


class FocusFrames(QObject):
    """Follows ``QApplication.focusChanged`` and keeps one ``FocusRing`` per window around
    the focused widget (moved along when the widget or one of its parents moves or resizes;
    in a list or table the current item is followed as it changes or scrolls)."""

    TRACKED = (QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide)

    def __init__(self, app: QApplication, parent: QObject | None = None):
        super().__init__(parent)
        self.colour = FOCUS_COLOUR
        self.width_px = FOCUS_WIDTH
        self.target: QWidget | None = None
        self.ring: FocusRing | None = None  # the ring shown last
        self._watched: list[QWidget] = []
        self._connections: list[tuple] = []
        self._running = True
        app.focusChanged.connect(self._focus_changed)
        app.aboutToQuit.connect(self.stop)  # windows are torn down after this: leave them alone

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        QApplication.instance().focusChanged.disconnect(self._focus_changed)
        self._unwatch()
        self.target = None
        self.ring = None
        for widget in QApplication.allWidgets():
            if isinstance(widget, FocusRing):
                widget.hide()
                widget.deleteLater()

    def set_style(self, colour: str, width: int) -> None:
        self.colour, self.width_px = colour, width
        for widget in QApplication.allWidgets():
            if isinstance(widget, FocusRing):
                widget.colour, widget.width_px = QColor(colour), width
        self.update_ring()

    def ring_for(self, window: QWidget) -> FocusRing:
        rings = window.findChildren(FocusRing, RING_NAME, Qt.FindChildOption.FindDirectChildrenOnly)
        if rings:
            return rings[0]
        ring = FocusRing(window, self.colour, self.width_px)
        ring.destroyed.connect(self._ring_gone)
        return ring

    def _ring_gone(self, *_args) -> None:
        # a ring goes with its window; forget it (never call into a window being torn down)
        try:
            if self.ring is not None:
                self.ring.objectName()
        except RuntimeError:
            self.ring = None

    def _unwatch(self) -> None:
        for widget in self._watched:
            try:
                widget.removeEventFilter(self)
            except RuntimeError:  # already deleted
                pass
        self._watched = []
        for signal, slot in self._connections:
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass
        self._connections = []

    def _connect(self, signal, slot) -> None:
        signal.connect(slot)
        self._connections.append((signal, slot))

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        # ``_old`` is never used: it may be a widget in the middle of being deleted.
        self._unwatch()
        self.target = None
        if new is None:
            return  # focus left the application, or its widget is being deleted: keep still
        if not self._framed(new):
            self._hide_ring()
            return
        self.target = new
        widget: QWidget | None = self.target
        while widget is not None and not widget.isWindow():
            widget.installEventFilter(self)
            self._watched.append(widget)
            widget = widget.parentWidget()
        if isinstance(self.target, QAbstractItemView):
            view = self.target
            if view.selectionModel() is not None:
                self._connect(view.selectionModel().currentChanged, self._item_moved)
            for bar in (view.verticalScrollBar(), view.horizontalScrollBar()):
                self._connect(bar.valueChanged, self._item_moved)
        self.update_ring()

    def _item_moved(self, *_args) -> None:
        self.update_ring()

    def _hide_ring(self) -> None:
        if self.ring is None:
            return
        try:
            self.ring.hide()
        except RuntimeError:  # deleted with its window
            self.ring = None

    @staticmethod
    def _framed(widget: QWidget) -> bool:
        if widget.isWindow() or isinstance(widget, FocusRing):
            return False
        window = widget.window()
        return window.windowType() not in (Qt.WindowType.Popup, Qt.WindowType.ToolTip)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in self.TRACKED:
            self.update_ring()
        return False

    def update_ring(self) -> None:
        target = self.target
        if target is None or not self._running:
            return
        try:
            window = target.window()
        except RuntimeError:  # deleted
            self.target = None
            return
        ring = self.ring_for(window)
        if ring is not self.ring:
            self._hide_ring()
            self.ring = ring
        area = _visible_rect(target, window)
        if area.isEmpty() or not target.isVisible():
            ring.hide()
            return
        margin = self.width_px + 1
        geometry = area.adjusted(-margin, -margin, margin, margin).intersected(window.rect())
        ring.item_rect = QRect()
        if isinstance(target, QAbstractItemView) and target.currentIndex().isValid():
            viewport = target.viewport()
            item = target.visualRect(target.currentIndex()).intersected(viewport.rect())
            if not item.isEmpty():
                ring.item_rect = QRect(viewport.mapTo(window, item.topLeft()) - geometry.topLeft(), item.size())
        ring.setGeometry(geometry)
        ring.raise_()
        ring.show()
        ring.update()


def _visible_rect(widget: QWidget, window: QWidget) -> QRect:
    """The part of ``widget`` not cut off by its parents (e.g. scrolled out of view), in
    ``window`` coordinates."""
    area = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        area = area.intersected(QRect(parent.mapTo(window, QPoint(0, 0)), parent.size()))
        parent = parent.parentWidget()
    return area


# ---- the 表示 menu ---------------------------------------------------------------------------------

class ViewMenu(QMenu):
    """表示(&V): larger / smaller / standard text (Ctrl++ / Ctrl+- / Ctrl+0), the text sizes as
    checkable choices, and high contrast. A choice applies to the whole application at once and
    is remembered for this person (``UiSettings``)."""

    def __init__(self, parent: QWidget, ui_settings):
        super().__init__(tr("表示(&V)"), parent)
        self.ui_settings = ui_settings
        self.larger = self._action(tr("文字を大きくする(&L)"), lambda: self.step(1),
                                   QKeySequence(QKeySequence.StandardKey.ZoomIn), QKeySequence("Ctrl++"),
                                   QKeySequence("Ctrl+;"), QKeySequence("Ctrl+="))
        self.smaller = self._action(tr("文字を小さくする(&S)"), lambda: self.step(-1),
                                    QKeySequence(QKeySequence.StandardKey.ZoomOut), QKeySequence("Ctrl+-"))
        self.standard = self._action(tr("文字を標準の大きさに戻す(&0)"), lambda: self.choose(STANDARD),
                                     QKeySequence("Ctrl+0"))
        self.addSection(tr("文字の大きさ"))
        group = QActionGroup(self)
        group.setExclusive(True)
        self.sizes: dict[int, QAction] = {}
        for size in TEXT_SIZES:
            action = QAction(size_label(size.percent), self)
            action.setCheckable(True)
            action.triggered.connect(lambda _checked=False, p=size.percent: self.choose(p))
            group.addAction(action)
            self.addAction(action)
            self.sizes[size.percent] = action
        self.addSeparator()
        self.contrast = QAction(tr("ハイコントラスト（白地に黒のくっきりした表示）(&C)"), self)
        self.contrast.setCheckable(True)
        self.contrast.triggered.connect(lambda checked: self.choose(high_contrast=checked))
        self.addAction(self.contrast)
        self.aboutToShow.connect(self.sync_checks)
        self.sync_checks()
        keep_menu_items_whole(self)

    def _action(self, text: str, slot, *shortcuts: QKeySequence) -> QAction:
        action = QAction(text, self)
        unique = {s.toString(): s for s in shortcuts if not s.isEmpty()}  # a repeat would make it ambiguous
        action.setShortcuts(list(unique.values()))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    @staticmethod
    def current() -> Appearance:
        return install(QApplication.instance())

    def choose(self, percent: int | None = None, high_contrast: bool | None = None) -> None:
        current = self.current()
        current.apply(current.percent if percent is None else percent,
                      current.high_contrast if high_contrast is None else high_contrast)
        self.ui_settings.set_text_size(current.percent)
        self.ui_settings.set_high_contrast(current.high_contrast)
        self.sync_checks()

    def step(self, delta: int) -> None:
        percents = [s.percent for s in TEXT_SIZES]
        index = percents.index(self.current().percent) + delta
        self.choose(percents[max(0, min(index, len(percents) - 1))])

    def sync_checks(self) -> None:
        current = appearance_of()  # None: never changed in this application (tests)
        percent = current.percent if current is not None else STANDARD
        self.sizes[percent].setChecked(True)
        self.contrast.setChecked(bool(current and current.high_contrast))
        self.larger.setEnabled(percent < LARGEST)
        self.smaller.setEnabled(percent > STANDARD)
