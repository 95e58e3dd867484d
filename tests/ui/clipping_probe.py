"""Child process of ``test_no_clipping.test_display_scaling``: runs the clipping check on the
main screens in a QApplication started with the caller's QT_SCALE_FACTOR, and prints one
JSON line: the device pixel ratio, how many screens were looked at, and what was cut off.

    python -m tests.ui.clipping_probe TEMPLATE_STORE COPY_DIR WIDTHxHEIGHT [TEXT_PERCENT]
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    template, copy, size_text = Path(argv[0]), Path(argv[1]), argv[2]
    percent = int(argv[3]) if len(argv) > 3 else 100
    size = tuple(int(n) for n in size_text.split("x"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from shakyo_desk.ui.refcounts import pin_singletons

    pin_singletons()
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from shakyo_desk import demo
    from shakyo_desk.store.keyfile import FAST_KDF
    from shakyo_desk.store.services.council import get_settings
    from shakyo_desk.store.store import unlock
    from shakyo_desk.ui.context import AppContext
    from shakyo_desk.ui.style import setup_application
    from shakyo_desk.ui.uisettings import UiSettings
    from shakyo_desk.ui.worker import SyncExecutor
    from tests.ui.clipping import clipped_widgets
    from tests.ui.screens import main_screens

    app = QApplication([sys.argv[0]])
    setup_application(app)
    if percent != 100:
        from shakyo_desk.ui import appearance

        appearance.install(app).apply(percent, False)
    app.setQuitOnLastWindowClosed(False)
    shutil.copytree(template, copy)
    store = unlock(copy, demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE)
    settings = UiSettings(QSettings(str(copy.parent / "ui.ini"), QSettings.Format.IniFormat))
    ctx = AppContext(store=store, executor=SyncExecutor(), ui_settings=settings, council=get_settings(store),
                     kdf=FAST_KDF, demo=True)
    problems: list[str] = []
    count = 0
    ratio = 0.0
    for name, widget in main_screens(ctx, size):
        count += 1
        ratio = widget.devicePixelRatioF()
        if widget.width() > size[0] or widget.height() > size[1]:
            problems.append(f"{name}: {widget.width()}x{widget.height()} does not fit {size_text}")
        problems.extend(f"{name}: {c}" for c in clipped_widgets(widget))
    store.close()
    print(json.dumps({"device_pixel_ratio": ratio, "screens": count, "problems": problems}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
