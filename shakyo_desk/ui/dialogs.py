"""Small shared helpers: confirmations, messages, inline error labels, a dialog's OK/Cancel row,
and the one way every window is sized for the screen it opens on (``fit_to_screen``,
``place_main_window``)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QMargins, QObject, QPoint, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import (QApplication, QDialog, QDialogButtonBox, QFrame, QLabel, QMessageBox, QPushButton,
                               QScrollArea, QWidget)

from shakyo_desk.domain.errors import UserError
from shakyo_desk.i18n import tr
from shakyo_desk.ui.style import ERROR_COLOUR
from shakyo_desk.ui.worker import is_fault

UNEXPECTED = ("予期しない問題が起きたため、この操作を終えられませんでした。エラーの記録を保存しました。"
              "操作をやり直しても解決しない場合は、管理者に相談してください。")


def error_text(error: BaseException) -> str:
    """The sentence to show for an error: a user error's own Japanese message; for a fault
    (which the executor has already handed to the crash handler: a report and its dialog) a
    short sentence that the action did not finish."""
    if isinstance(error, UserError):
        return error.message
    return tr(UNEXPECTED)


def confirm(parent: QWidget | None, title: str, text: str, *, yes: str | None = None) -> bool:
    """Ask a yes/no question; the safe answer (いいえ) is the default."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    yes_button = box.addButton(yes or tr("はい"), QMessageBox.ButtonRole.AcceptRole)
    no_button = box.addButton(tr("いいえ"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no_button)
    box.exec()
    return box.clickedButton() is yes_button


def show_message(parent: QWidget | None, title: str, text: str, *, warning: bool = False,
                 detail: str = "") -> QMessageBox:
    """A message box that does not block the event loop (results arriving from the worker, an
    unlock's notices): window-modal, its text selectable, deleted once closed."""
    icon = QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Information
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.button(QMessageBox.StandardButton.Ok).setText(tr("閉じる"))
    if detail:
        box.setInformativeText(detail)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
    return box


def inform(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def inform_error(parent: QWidget | None, title: str, error: BaseException) -> None:
    """A worker's refusal in a message box. A fault opens nothing more: the crash dialog is
    already saying it (``worker.report_fault``), and two dialogs for one error confuse."""
    if not is_fault(error):
        inform(parent, title, error_text(error))


def grow_to_fit(widget: QWidget) -> None:
    """Make the dialog holding ``widget`` taller when its wrapped sentences need more lines than
    it has room for (an error that appears, large text); Qt does not do this by itself."""
    window = widget.window()
    if not isinstance(window, QDialog) or not window.isVisible():
        return
    layout = window.layout()
    if layout is None:
        return
    need = layout.totalHeightForWidth(window.width()) if layout.hasHeightForWidth() else \
        layout.totalMinimumSize().height()
    if need > window.height():
        window.resize(window.width(), need)
        keep_on_screen(window)


class ErrorLabel(QLabel):
    """A red sentence shown inline; hidden while empty."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setStyleSheet(f"color: {ERROR_COLOUR}; font-weight: bold;")
        self.setVisible(False)

    def show_error(self, error: BaseException | str) -> None:
        text = error if isinstance(error, str) else error_text(error)
        self.setText(text)
        self.setVisible(bool(text))
        if text:
            QTimer.singleShot(0, self, lambda: grow_to_fit(self))

    def clear_error(self) -> None:
        self.setText("")
        self.setVisible(False)


def button_row(dialog: QDialog, accept_text: str | None, on_accept: Callable[[], object], *, save: bool = False,
               cancel_text: str | None = None) -> tuple[QDialogButtonBox, QPushButton]:
    """The row of two buttons at the foot of a dialog: Qt's OK button (its Save button with
    ``save``) reading ``accept_text`` calls ``on_accept``; Cancel, reading ``cancel_text``,
    rejects ``dialog``. A text left None keeps Qt's own (translated) one. Returns the row and
    its accepting button; the row is the dialog's to lay out."""
    kind = QDialogButtonBox.StandardButton.Save if save else QDialogButtonBox.StandardButton.Ok
    buttons = QDialogButtonBox(kind | QDialogButtonBox.StandardButton.Cancel)
    accept_button = buttons.button(kind)
    if accept_text:
        accept_button.setText(accept_text)
    if cancel_text:
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(cancel_text)
    buttons.accepted.connect(on_accept)
    buttons.rejected.connect(dialog.reject)
    return buttons, accept_button


# ---- fitting windows to the screen ---------------------------------------------------------------
#
# Council laptops have 1366x768 screens less a 40-pixel task bar. Every top-level window is sized
# here: its preferred (or remembered) size, no larger than the available geometry of the screen it
# opens on less the window manager's frame, centred on its parent; each time it is shown or grows
# (a larger text size) it is kept inside that room. Long dialogs scroll their contents with the
# buttons outside (``scrolling``). Qt's offscreen platform (the test suite) has no real screen,
# only an 800x800 placeholder: there the sizes asked for are kept as they are.

SMALL_SCREEN_HEIGHT = 900  # the main window opens maximised where less room than this is available
FRAME_GUESS = QMargins(4, 32, 4, 4)  # a title bar and borders, until the window manager says
_FITTED = "shakyoFitted"  # property: the window has a ScreenKeeper
_PLACED = "shakyoPlaced"  # property: the window keeps the place it has (remembered, or moved)


def _real_screens() -> bool:
    return QGuiApplication.platformName() not in ("offscreen", "minimal")


def screen_of(window: QWidget) -> QScreen | None:
    """The screen ``window`` opens on: its parent window's, else its own, else the primary one."""
    parent = window.parentWidget()
    anchor = parent.window() if parent is not None else window
    return anchor.screen() or window.screen() or QGuiApplication.primaryScreen()


def available_geometry(window: QWidget) -> QRect | None:
    """The room on ``window``'s screen (less task bars), or None where there is no real screen."""
    if not _real_screens():
        return None
    screen = screen_of(window)
    return screen.availableGeometry() if screen is not None else None


def _margins(widget: QWidget) -> QMargins | None:
    outer, inner = widget.frameGeometry(), widget.geometry()
    margins = QMargins(inner.left() - outer.left(), inner.top() - outer.top(),
                       outer.right() - inner.right(), outer.bottom() - inner.bottom())
    return margins if margins != QMargins() else None


_seen_frame: list[QMargins] = []  # the last frame the window manager drew around one of our windows


def frame_margins(window: QWidget) -> QMargins:
    """The window manager's frame around ``window``: its own once it has one, else that of its
    parent, else the last one seen around any window of the app (the same window manager draws
    them), else a guess. Remembered rather than looked up among ``QApplication.topLevelWidgets()``:
    that list can hold a popup being torn down, and touching it crashed the app under xcb."""
    candidates = [window]
    if window.parentWidget() is not None:
        candidates.append(window.parentWidget().window())
    for widget in candidates:
        if widget.isVisible() and not widget.isMaximized():
            margins = _margins(widget)
            if margins is not None:
                _seen_frame[:] = [margins]
                return margins
    return QMargins(_seen_frame[0] if _seen_frame else FRAME_GUESS)


def fitted_geometry(size: QSize, available: QRect, frame: QMargins, *, centre: QPoint | None = None,
                    top_left: QPoint | None = None, minimum: QSize | None = None) -> QRect:
    """Where a window of ``size`` goes (its geometry without the frame): no larger than
    ``available`` less ``frame`` (nor smaller than ``minimum`` where that fits), at ``top_left``
    or centred on ``centre`` (else on the available room), moved to lie inside."""
    room = available.marginsRemoved(frame)
    width = min(max(size.width(), minimum.width() if minimum else 0), room.width())
    height = min(max(size.height(), minimum.height() if minimum else 0), room.height())
    if top_left is not None:
        x, y = top_left.x(), top_left.y()
    else:
        middle = centre if centre is not None else room.center()
        x, y = middle.x() - width // 2, middle.y() - height // 2
    x = max(room.left(), min(x, room.right() + 1 - width))
    y = max(room.top(), min(y, room.bottom() + 1 - height))
    return QRect(x, y, width, height)


def room_for(window: QWidget) -> QSize | None:
    """The largest size ``window`` may have on its screen (frame left out), or None."""
    available = available_geometry(window)
    return None if available is None else available.marginsRemoved(frame_margins(window)).size()


def _centre_for(window: QWidget) -> QPoint | None:
    parent = window.parentWidget()
    if parent is not None and parent.window().isVisible():
        return parent.window().frameGeometry().center()
    return None


def keep_on_screen(window: QWidget, *, centre: bool = False) -> None:
    """Shrink ``window`` to the room its screen has and move it inside (centred on its parent
    with ``centre``). Its minimum size gives way too: what no longer fits scrolls or is clipped
    inside the window, never under the task bar."""
    available = available_geometry(window)
    if available is None or window.isMaximized() or window.isFullScreen():
        return
    frame = frame_margins(window)
    room = available.marginsRemoved(frame)
    minimum = window.minimumSize()
    if minimum.width() > room.width() or minimum.height() > room.height():
        window.setMinimumSize(minimum.boundedTo(room.size()))
    where = fitted_geometry(window.size(), available, frame, centre=_centre_for(window) if centre else None,
                            top_left=None if centre else window.geometry().topLeft())
    if where != window.geometry():
        window.setGeometry(where)  # the inside of the frame; the window manager frames it there


class ScreenKeeper(QObject):
    """Keeps one window inside its screen's available geometry: when it is shown (centred on its
    parent the first time, unless it has a place of its own) and once the window manager has
    framed it (its real title bar may be taller than the guess)."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.window = window
        self.shown_once = False
        self.corrections = 0
        window.installEventFilter(self)

    def shown(self) -> None:
        first = not self.shown_once
        self.shown_once = True
        self.corrections = 0
        keep_on_screen(self.window, centre=first and not self.window.property(_PLACED))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.Show:
            self.shown()
        elif kind in (QEvent.Type.Move, QEvent.Type.Resize) and self.window.isVisible() and self.corrections < 4:
            available = available_geometry(self.window)
            if available is not None and not self.window.isMaximized() \
                    and not available.contains(self.window.frameGeometry()):
                self.corrections += 1  # a window manager that insists is not fought for ever
                QTimer.singleShot(0, self, lambda: keep_on_screen(self.window))
        return False


def _keeper(window: QWidget) -> ScreenKeeper | None:
    if window.property(_FITTED):
        return None
    window.setProperty(_FITTED, True)
    return ScreenKeeper(window)


class _EveryWindow(QObject):
    """Application-wide: a window shown without ``fit_to_screen`` (a message box, a file or
    progress dialog, a dialog sized by hand) gets a ScreenKeeper at its first show."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Show and watched.isWidgetType() and watched.isWindow() \
                and not watched.property(_FITTED) \
                and watched.windowType() not in (Qt.WindowType.Popup, Qt.WindowType.ToolTip, Qt.WindowType.Desktop):
            keeper = _keeper(watched)
            if keeper is not None:
                keeper.shown()  # this show; its own filter sees the next ones
        return False


def install_screen_fit(app: QApplication) -> None:
    """Keep every window of ``app`` inside its screen (once per application)."""
    if app.property("shakyoScreenFit"):
        return
    app.setProperty("shakyoScreenFit", True)
    app.installEventFilter(_EveryWindow(app))


def fit_to_screen(window: QWidget, preferred: QSize, *, settings=None, key: str = "") -> None:
    """Size a dialog or a window of its own for the screen it opens on: ``preferred`` (or the
    geometry remembered in ``settings`` under ``key``), no larger than the available geometry
    less the frame, and kept inside it whenever it is shown or grows."""
    available = available_geometry(window)
    frame = frame_margins(window)
    size = preferred if available is None else fitted_geometry(preferred, available, frame).size()
    window.resize(size)
    if settings is not None and key and settings.restore_geometry(key, window):
        window.setProperty(_PLACED, True)  # where the person left it
    _keeper(window)
    if available is not None:
        keep_on_screen(window)


def place_main_window(window: QWidget, default: QSize, *, settings=None, key: str = "") -> QSize:
    """The main window's size: maximised on a small screen (less than ``SMALL_SCREEN_HEIGHT``
    available), else the remembered (or ``default``) size inside the available geometry. Returns
    the size it was given, so the window can tell whether code resized it before it is shown
    (``open_maximised``)."""
    fit_to_screen(window, default, settings=settings, key=key)
    return window.size()


def open_maximised(window: QWidget) -> bool:
    """Whether the main window is to open maximised on its screen (a laptop's)."""
    available = available_geometry(window)
    return available is not None and available.height() < SMALL_SCREEN_HEIGHT


def scrolling(body: QWidget) -> QScrollArea:
    """``body`` in a frameless scroll area: a long dialog's contents, so that on a small screen
    (or at a large text size) they scroll while the dialog's buttons, kept outside, stay in view."""
    area = QScrollArea()
    area.setWidget(body)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    return area
