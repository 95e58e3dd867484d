"""Unlock to a usable main window: from pressing ロック解除 (Argon2id unwrap,
opening SQLCipher, migrations check) to the household list showing rows,
with the real background thread, offscreen."""

import tempfile
import time

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from shakyo_desk import demo
from shakyo_desk.store.store import unlock
from shakyo_desk.ui.app import AppController
from shakyo_desk.ui.uisettings import UiSettings
from shakyo_desk.ui.worker import ThreadExecutor

from .common import Result, summarise


def _once(app: QApplication, store_dir, settings_dir) -> float:
    executor = ThreadExecutor()
    ui_settings = UiSettings(QSettings(f"{settings_dir}/ui.ini", QSettings.Format.IniFormat))
    controller = AppController(executor, ui_settings, store_dir)
    started = time.perf_counter()
    executor.submit(unlock, store_dir, demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE, on_done=controller.open_main)
    deadline = started + 30
    while time.perf_counter() < deadline:
        app.processEvents()
        window = controller.window
        if window is not None and window.isVisible():
            page = window.pages.get("households")
            if page is not None and page.model.rowCount() > 0:
                break
        time.sleep(0.001)
    elapsed = (time.perf_counter() - started) * 1000
    window = controller.window
    store = window.ctx.store
    window.close()
    executor.submit(store.close)
    executor.shutdown()
    app.processEvents()
    return elapsed


def bench_unlock_to_window(ctx) -> list[Result]:
    app = QApplication.instance() or QApplication([])
    ctx.store.close()  # measure a cold unlock of our own
    with tempfile.TemporaryDirectory() as settings_dir:
        samples = [_once(app, ctx.store_dir, settings_dir) for _ in range(ctx.repeat)]
    ctx.store = unlock(ctx.store_dir, demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE)
    return [summarise("unlock to a usable main window (rows shown)", samples, 1500.0,
                      note="Argon2id 64 MiB × 3 + SQLCipher open + first household page")]
