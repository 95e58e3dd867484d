"""Child process of ``test_fits_screen``: on a real X display (Xvfb with a window manager and a
task bar, ``DISPLAY`` set by the caller), opens the demo village as its admin at the text size
asked for (the person's own setting, as the app reads it at start), shows the main window as
the app does, visits every page and the dialogs reachable from them, and prints one JSON line:

- ``available``: the screen's available geometry (the screen less the task bar);
- ``screens``: the names of the windows looked at;
- ``problems``: each window whose frame leaves the available geometry, each dialog button
  (accept, reject, default) or page button that is hidden, cut off or off the screen, a left
  menu that needs scrolling at the standard text size, a page's first focus not on its search;
- ``squeezed``: each window smaller than its contents' minimum (they overlap: a long dialog
  must scroll instead);
- ``columns``: each named column of 世帯, 訪問記録 and 関係機関 that is not readable on screen.

A screenshot of the whole display (window manager frames and task bar included) is saved for
each screen into SCREENSHOTS/LABEL_NAME.png.

    python -m tests.ui.fits_screen_probe TEMPLATE_STORE COPY_DIR TEXT_PERCENT SCREENSHOTS LABEL [all|some]
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

# The columns people read on each page (issue 17), by their header.
NAMED_COLUMNS = {"households": ("世帯番号", "住所", "電話"), "contacts": ("見たこと・聞いたこと",),
                 "agencies": ("電話",)}
# The pages whose first focus must be their search field at start.
TOLERANCE = 1


def wait_for_window_manager(widget, timeout: float = 5.0) -> None:
    """Until the window manager has framed ``widget`` (its frame is known) and the moves that
    follow have settled. Returns as soon as they have; the limit is for a loaded machine, where
    openbox's placement can come late (a dialog was once seen above the screen in mid-move)."""
    from tests.ui.screens import settle

    deadline = time.monotonic() + timeout
    settle()
    while time.monotonic() < deadline:
        settle(1)
        if widget.isVisible() and widget.frameGeometry() != widget.geometry():
            break
        time.sleep(0.01)
    # the window manager may still move it once; the app may correct its place after that
    stable, last = 0, None
    while time.monotonic() < deadline and stable < 3:
        time.sleep(0.02)
        settle(1)
        now = (widget.frameGeometry().getRect(), widget.geometry().getRect())
        stable = stable + 1 if now == last else 0
        last = now


def visible_rect(widget, window):
    """The part of ``widget`` its parents do not cut off, in ``window`` coordinates."""
    from PySide6.QtCore import QPoint, QRect

    area = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        area = area.intersected(QRect(parent.mapTo(window, QPoint(0, 0)), parent.size()))
        parent = parent.parentWidget()
    return area.intersected(window.rect())


def _inside(outer, inner) -> bool:
    return outer.adjusted(-TOLERANCE, -TOLERANCE, TOLERANCE, TOLERANCE).contains(inner)


def window_problems(name: str, window, available) -> list[str]:
    frame = window.frameGeometry()
    if not _inside(available, frame):
        # On a loaded machine the window manager's last move and the app's correction of it can
        # come after the frame looked settled: judge where the window comes to rest.
        time.sleep(0.5)
        wait_for_window_manager(window)
        frame = window.frameGeometry()
    if not _inside(available, frame):
        return [f"{name}: the window's frame {frame.getRect()} leaves the available geometry "
                f"{available.getRect()}"]
    return []


def squeezed(name: str, window) -> list[str]:
    """A window smaller than its contents' minimum: they overlap or are cut (long dialogs must
    scroll instead)."""
    layout = window.layout()
    if layout is None:
        return []
    need = layout.totalMinimumSize()
    if window.width() + TOLERANCE < need.width() or window.height() + TOLERANCE < need.height():
        return [f"{name}: {window.width()}x{window.height()} squeezes contents that need at least "
                f"{need.width()}x{need.height()}"]
    return []


def button_problems(name: str, window, buttons, available) -> list[str]:
    """Each button must be shown whole (no parent cuts it) and lie inside the available geometry."""
    from PySide6.QtCore import QRect

    problems = []
    for button in buttons:
        if not button.isVisibleTo(window):
            continue
        label = (getattr(button, "text", lambda: "")().replace("&", "") or button.objectName()
                 or type(button).__name__)
        whole = QRect(0, 0, button.width(), button.height())
        shown = visible_rect(button, window)
        on_screen = QRect(window.mapToGlobal(shown.topLeft()), shown.size())
        if shown.size() != whole.size():
            problems.append(f"{name}: 「{label}」 is cut off ({shown.width()}x{shown.height()} of "
                            f"{button.width()}x{button.height()} shown)")
        elif not _inside(available, on_screen):
            problems.append(f"{name}: 「{label}」 at {on_screen.getRect()} is outside the available geometry "
                            f"{available.getRect()}")
    return problems


def dialog_buttons(window) -> list:
    """Accept, reject and default buttons: the dialog's ``save_button`` and ``close_button``,
    those of its button boxes, its default push buttons, a wizard's 次へ/完了/キャンセル."""
    from PySide6.QtWidgets import QAbstractButton, QDialogButtonBox, QPushButton, QWizard

    found = [b for b in (getattr(window, "save_button", None), getattr(window, "close_button", None))
             if isinstance(b, QAbstractButton)]  # a dialog's own 保存 / 閉じる outside a button box
    for box in window.findChildren(QDialogButtonBox):
        if box.window() is window:
            found.extend(box.buttons())
    found.extend(b for b in window.findChildren(QPushButton) if b.isDefault() and b.window() is window
                 and not scrolled(b, window))
    if isinstance(window, QWizard):
        for which in (QWizard.WizardButton.NextButton, QWizard.WizardButton.FinishButton,
                      QWizard.WizardButton.CancelButton, QWizard.WizardButton.BackButton):
            found.append(window.button(which))
    return list(dict.fromkeys(found))


def scrolled(widget, top) -> bool:
    """Whether ``widget`` is inside something that scrolls (below ``top``)."""
    from PySide6.QtWidgets import QAbstractScrollArea

    w = widget.parentWidget()
    while w is not None and w is not top:
        if isinstance(w, QAbstractScrollArea):
            return True
        w = w.parentWidget()
    return False


def page_buttons(page) -> list:
    """The page's push buttons that are not inside something that scrolls."""
    from PySide6.QtWidgets import QPushButton

    return [b for b in page.findChildren(QPushButton) if not scrolled(b, page)]


def column_problems(key: str, page) -> list[str]:
    """Each named column of the page's tables: shown, starting inside the table's viewport, and
    at least its header's width (or 120 pixels) of it visible without scrolling sideways."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QTableView

    wanted = NAMED_COLUMNS.get(key, ())
    problems, seen = [], set()
    for view in page.findChildren(QTableView):
        if not view.isVisibleTo(page.window()) or view.model() is None:
            continue
        header = view.horizontalHeader()
        model = view.model()
        bar = view.horizontalScrollBar()
        bar.setValue(bar.minimum())
        for column in range(model.columnCount()):
            title = str(model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or "")
            name = next((n for n in wanted if title.startswith(n)), None)
            if name is None:
                continue
            seen.add(name)
            width = view.viewport().width()
            start = header.sectionViewportPosition(column)
            size = header.sectionSize(column)
            shown = max(0, min(start + size, width) - max(start, 0))
            need = min(size, max(header.fontMetrics().horizontalAdvance(title) + 8, 120))
            if header.isSectionHidden(column) or size <= 0:
                problems.append(f"{key}: the column 「{name}」 is hidden")
            elif start < 0 or start >= width or shown + TOLERANCE < need:
                problems.append(f"{key}: the column 「{name}」 shows {shown} of {size} pixels at {start} "
                                f"in a table {width} pixels wide (needs {need})")
    problems.extend(f"{key}: no column 「{n}」 found" for n in wanted if n not in seen)
    return problems


def extra_dialogs(window, ctx, workdir: Path, some: bool):
    """Dialogs reachable from the pages beyond ``screens.main_dialogs``: (name, opener). An
    opener makes the dialog appear as the page's button does (new top-level windows are
    collected by the caller) or returns it."""
    from PySide6.QtCore import QBuffer, QIODevice
    from PySide6.QtGui import QPageSize, QPainter, QPdfWriter

    def page(key):
        return window.show_page(key)

    def pdf_bytes() -> bytes:
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        writer = QPdfWriter(buffer)
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        painter = QPainter(writer)
        painter.drawText(400, 400, "支援会議 資料")
        painter.end()
        return bytes(buffer.data())

    def pdf_preview():
        from shakyo_desk.ui.pdf_preview import PdfPreviewDialog

        dialog = PdfPreviewDialog(pdf_bytes(), "会議資料の確認", window, note="印刷する前に内容を確かめてください。")
        dialog.show()
        return dialog

    def crash():
        from shakyo_desk.ui.crash_dialog import CrashDialog

        text = "".join(f'  File "shakyo_desk/ui/page{n}.py", line {n}, in refresh\n' for n in range(80))
        dialog = CrashDialog(None, "Traceback (most recent call last):\n" + text + "RuntimeError: テスト", window)
        dialog.show()
        return dialog

    def recovery_key():
        from shakyo_desk.ui.key_actions import RecoveryKeyDialog

        dialog = RecoveryKeyDialog("ABCDEFGHJKMNPQRSTVWXYZ0123456789ABCDEFGH", ctx.council.name, window)
        dialog.show()
        return dialog

    def wizard():
        from shakyo_desk.store.keyfile import FAST_KDF
        from shakyo_desk.ui.wizard import SetupWizard

        dialog = SetupWizard(ctx.executor, workdir / "new-store", kdf=FAST_KDF)
        dialog.show()
        return dialog

    def join_wizard():
        from shakyo_desk.store.keyfile import FAST_KDF
        from shakyo_desk.ui import setup_state as steps
        from shakyo_desk.ui.wizard import SetupWizard

        dialog = SetupWizard(ctx.executor, workdir / "join-store", kdf=FAST_KDF)
        dialog.setStartId(dialog.page_id(steps.JOIN_FILE))
        dialog.restart()
        dialog.show()
        return dialog

    def unlock():
        from shakyo_desk.ui.unlock import UnlockDialog

        dialog = UnlockDialog(ctx.root, ctx.executor, ctx.ui_settings, council_name=ctx.council.name,
                              login=ctx.store.actor.login)
        dialog.show()
        return dialog

    def enrolment_code():
        from shakyo_desk.ui.pages.sync import EnrolmentCodeDialog

        dialog = EnrolmentCodeDialog("K7Q2-M9XD-4TPA-8RWE", "ノートPC（北地区）", str(workdir / "usb.shakyo"), window)
        dialog.show()
        return dialog

    def first_row(key, method):
        target = page(key)
        table = getattr(target, "table", None)
        if table is not None and table.model() is not None and table.model().rowCount():
            table.selectRow(0)
        method(target)

    openers = [
        ("help", lambda: (page("households"), window.guide_action.trigger())),
        ("timeline", lambda: first_row("households", lambda p: p.show_timeline(0))),
        ("list_import", lambda: page("households").import_list()),
        ("contact_detail", lambda: first_row("contacts", lambda p: p.open_detail(0))),
        ("passphrase", window.change_passphrase),
        ("pdf_preview", pdf_preview),
        ("crash", crash),
        ("recovery_key", recovery_key),
        ("wizard", wizard),
        ("join_wizard", join_wizard),
        ("unlock", unlock),
        ("referral", lambda: page("referrals").new_referral()),
        ("salon_regulars", lambda: first_row("salons", lambda p: p.edit_regulars())),
        ("salon_edit", lambda: first_row("salons", lambda p: p.edit_salon())),
        ("add_device", lambda: page("sync").add_device()),
        ("first_steps", lambda: __import__("shakyo_desk.ui.first_steps", fromlist=["x"]).show_first_steps(
            window, "create")),
        ("add_account", lambda: page("accounts").add()),
        ("referral_outcome", lambda: first_row("referrals", lambda p: p.record(p.table))),
        ("enrolment_code", enrolment_code),
    ]
    if some:  # a representative set: the longest and the most used
        keep = {"help", "timeline", "list_import", "pdf_preview", "crash", "wizard", "referral", "add_device",
                "referral_outcome"}
        openers = [o for o in openers if o[0] in keep]
    return openers


def top_levels() -> list:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    shown = []
    for w in QApplication.topLevelWidgets():
        if not w.isVisible() or w.windowType() in (Qt.WindowType.Popup, Qt.WindowType.ToolTip,
                                                   Qt.WindowType.Desktop):
            continue
        shown.append(w)
    return shown


def main(argv: list[str]) -> int:
    template, copy, percent = Path(argv[0]), Path(argv[1]), int(argv[2])
    shots, label = Path(argv[3]), argv[4]
    some = len(argv) > 5 and argv[5] == "some"
    from shakyo_desk.ui.refcounts import pin_singletons

    pin_singletons()
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QDialog

    from shakyo_desk import demo
    from shakyo_desk.store.keyfile import FAST_KDF
    from shakyo_desk.store.services.council import get_settings
    from shakyo_desk.store.store import unlock
    from shakyo_desk.ui import appearance
    from shakyo_desk.ui.context import AppContext, set_default_navigator
    from shakyo_desk.ui.main_window import MainWindow
    from shakyo_desk.ui.navigator import Navigator
    from shakyo_desk.ui.style import setup_application
    from shakyo_desk.ui.uisettings import UiSettings
    from shakyo_desk.ui.worker import SyncExecutor
    from tests.ui.screens import main_dialogs, settle

    app = QApplication([sys.argv[0]])
    setup_application(app)
    app.setQuitOnLastWindowClosed(False)
    set_default_navigator(Navigator)
    settings = UiSettings(QSettings(str(copy.parent / "ui.ini"), QSettings.Format.IniFormat))
    settings.set_text_size(percent)  # the person's own choice, read at start as the app does
    appearance.install(app, settings)
    shutil.copytree(template, copy)
    store = unlock(copy, demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE)
    ctx = AppContext(store=store, executor=SyncExecutor(), ui_settings=settings, council=get_settings(store),
                     kdf=FAST_KDF, demo=True)
    available = app.primaryScreen().availableGeometry()
    shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    columns: list[str] = []
    squeezes: list[str] = []
    names: list[str] = []

    def shoot(name: str) -> None:
        app.primaryScreen().grabWindow(0).save(str(shots / f"{label}_{name.replace(':', '_')}.png"))

    window = MainWindow(ctx)
    window.show()  # as AppController shows it
    wait_for_window_manager(window)
    focus = app.focusWidget()
    first = window.current_page()
    search = getattr(first, "search", None)
    if search is not None and focus is not search:
        problems.append(f"start: the focus is on {type(focus).__name__} 「{getattr(focus, 'text', lambda: '')()}」, "
                        f"not on the first page's search field")
    for spec in window.specs:
        name = f"page:{spec.key}"
        names.append(name)
        page = window.show_page(spec.key)
        settle()
        wait_for_window_manager(window, 0.5)
        problems.extend(window_problems(name, window, available))
        squeezes.extend(squeezed(name, window))
        problems.extend(button_problems(name, window, page_buttons(page), available))
        problems.extend(button_problems(name, window, [window.statusBar()], available))
        if percent == appearance.STANDARD and window.nav.verticalScrollBar().maximum() > 0:
            problems.append(f"{name}: the left menu needs scrolling ({window.nav.height()} pixels for "
                            f"{window.nav.count()} items)")
        columns.extend(column_problems(spec.key, page))
        shoot(name)

    def check_dialog(name: str, dialog) -> None:
        names.append(name)
        wait_for_window_manager(dialog)
        problems.extend(window_problems(name, dialog, available))
        squeezes.extend(squeezed(name, dialog))
        problems.extend(button_problems(name, dialog, dialog_buttons(dialog), available))
        shoot(name)

    for name, dialog in main_dialogs(window, ctx, None):
        check_dialog(name, dialog)

    workdir = copy.parent / "dialogs"
    workdir.mkdir(exist_ok=True)
    for name, opener in extra_dialogs(window, ctx, workdir, some):
        before = set(map(id, top_levels()))
        try:
            returned = opener()
        except Exception as error:  # noqa: BLE001 - said, and the walk goes on
            problems.append(f"dialog:{name}: could not be opened ({type(error).__name__}: {error})")
            continue
        settle()
        opened = [w for w in top_levels() if id(w) not in before]
        if returned is not None and hasattr(returned, "isVisible") and returned.isVisible() \
                and returned not in opened:
            opened.append(returned)
        if not opened:
            problems.append(f"dialog:{name}: nothing opened")
        for n, dialog in enumerate(opened):
            check_dialog(f"dialog:{name}" + (f"_{n + 1}" if n else ""), dialog)
        for dialog in opened:
            if isinstance(dialog, QDialog):
                dialog.done(0)
            else:
                dialog.close()
        settle(1)

    window.idle.stop()
    for dialog in window.findChildren(QDialog):
        dialog.done(0)
    window.hide()
    store.close()
    print(json.dumps({"available": available.getRect(), "screens": names, "problems": problems,
                      "columns": columns, "squeezed": squeezes}, ensure_ascii=False))
    sys.stdout.flush()
    os._exit(0)  # the display goes away with the caller; no teardown of windows needed


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
