"""The self-test's screen step: the main window on every page and a handout in QtPdf, offscreen.

Run from ``shakyo_desk.selftest`` in a process of its own (the ``--selftest`` command) or inside
the test suite, where a QApplication already exists and is reused."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _application():
    from PySide6.QtWidgets import QApplication

    from shakyo_desk.ui.refcounts import pin_singletons

    pin_singletons()
    app = QApplication.instance()
    if app is None:
        # Offscreen even where a screen exists: the check must not flash a window at the user.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        app = QApplication(["shakyo-desk-selftest"])
        from shakyo_desk.ui.style import setup_application

        setup_application(app)
    return app


def _pdf_text(path: Path) -> str:
    from PySide6.QtPdf import QPdfDocument

    document = QPdfDocument()
    error = document.load(str(path))
    if error != QPdfDocument.Error.None_:
        raise AssertionError(f"QtPdf が会議資料を開けません（{error.name}）")
    text = "\n".join(document.getAllText(page).text() for page in range(document.pageCount()))
    document.close()
    return text


def check_screens(store, pdf: Path | None, words: tuple[str, ...]) -> str:
    """Open the main window, visit every page, close it; find ``words`` in the handout PDF."""
    from PySide6.QtCore import QSettings

    from shakyo_desk.store.services.council import get_settings
    from shakyo_desk.ui.context import AppContext
    from shakyo_desk.ui.main_window import MainWindow
    from shakyo_desk.ui.style import apply_font
    from shakyo_desk.ui.uisettings import UiSettings
    from shakyo_desk.ui.worker import SyncExecutor

    app = _application()
    family = apply_font(app, app.font().pointSizeF()) or app.font().family()
    with tempfile.TemporaryDirectory(prefix="shakyo-selftest-ui-") as folder:
        # Settings in a throwaway file: the user's window positions and last login stay untouched.
        settings = UiSettings(QSettings(str(Path(folder) / "ui.ini"), QSettings.Format.IniFormat))
        ctx = AppContext(store=store, executor=SyncExecutor(), ui_settings=settings, council=get_settings(store))
        window = MainWindow(ctx)
        try:
            window.show()
            app.processEvents()
            pages = window.nav.count()
            for row in range(pages):
                window.nav.setCurrentRow(row)
                app.processEvents()
            if window.grab().isNull():
                raise AssertionError("メイン画面を描けません")
        finally:
            window.close()
            window.deleteLater()
            app.processEvents()
    from shakyo_desk.ui.help_window import INDEX, contents, guide_dir

    guide = guide_dir()
    if guide is None or not (guide / INDEX).is_file():
        raise AssertionError("操作ガイド（docs/ja）が見つかりません")
    found = f"、操作ガイド {len(contents(guide))} ページ"
    if pdf is not None:
        text = _pdf_text(pdf)
        missing = [w for w in words if w not in text]
        if missing:
            raise AssertionError(f"会議資料の文字を読み取れません（{'、'.join(missing)}）")
        found += f"、会議資料の日本語を QtPdf で確認（{len(text):,} 文字）"
    return f"{pages} ページを表示（フォント {family}）{found}"



def run_windowed(run_selftest) -> int:
    """The self-test started from the windowed executable (no console to print to): the check
    uses the real screen (the main window shows briefly) and the report ends in a message box."""
    import io

    from PySide6.QtWidgets import QApplication, QMessageBox

    from shakyo_desk.ui.style import setup_application

    from shakyo_desk.ui.refcounts import pin_singletons

    pin_singletons()
    app = QApplication.instance() or QApplication(["shakyo-desk"])
    setup_application(app)
    report = io.StringIO()
    code = run_selftest(report)
    text = report.getvalue()
    box = QMessageBox(QMessageBox.Icon.Information if code == 0 else QMessageBox.Icon.Warning,
                      "社協デスク - 自己診断", text.strip().splitlines()[-1])
    box.setDetailedText(text)
    box.exec()
    return code
