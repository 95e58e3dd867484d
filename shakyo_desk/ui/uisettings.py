"""UI state only (window geometry, splitter state, last login, text size and contrast) in QSettings.

Nothing about villagers or records is ever written here."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QSplitter, QWidget

from shakyo_desk.domain import safe_file

ORGANISATION = "shakyo-desk"
APPLICATION = "shakyo-desk"


class UiSettings:
    def __init__(self, qsettings: QSettings | None = None):
        self.q = qsettings if qsettings is not None else QSettings(ORGANISATION, APPLICATION)
        keep_private(self.q)

    # last login (an account name, not personal data of villagers)
    def last_login(self) -> str:
        return str(self.q.value("unlock/last_login", "") or "")

    def set_last_login(self, login: str) -> None:
        self.q.setValue("unlock/last_login", login)

    def last_store_dir(self) -> str:
        return str(self.q.value("store/last_dir", "") or "")

    def set_last_store_dir(self, path: str) -> None:
        self.q.setValue("store/last_dir", path)

    # appearance, chosen by the person at this PC (ui/appearance.py)
    def text_size(self) -> int:
        """The text size in percent of the standard size (100 when never chosen)."""
        try:
            return int(float(self.q.value("appearance/text_size", 100) or 100))
        except (TypeError, ValueError):
            return 100

    def set_text_size(self, percent: int) -> None:
        self.q.setValue("appearance/text_size", int(percent))

    def high_contrast(self) -> bool:
        return str(self.q.value("appearance/high_contrast", "false")).lower() in ("true", "1")

    def set_high_contrast(self, on: bool) -> None:
        self.q.setValue("appearance/high_contrast", bool(on))

    # geometry
    def restore_geometry(self, key: str, widget: QWidget) -> bool:
        value = self.q.value(f"geometry/{key}")
        if isinstance(value, QByteArray | bytes) and value:
            return bool(widget.restoreGeometry(value))
        return False

    def save_geometry(self, key: str, widget: QWidget) -> None:
        self.q.setValue(f"geometry/{key}", widget.saveGeometry())

    def restore_splitter(self, key: str, splitter: QSplitter) -> None:
        value = self.q.value(f"splitter/{key}")
        if isinstance(value, QByteArray | bytes) and value:
            splitter.restoreState(value)

    def save_splitter(self, key: str, splitter: QSplitter) -> None:
        self.q.setValue(f"splitter/{key}", splitter.saveState())

    def sync(self) -> None:
        self.q.sync()


def keep_private(q: QSettings) -> None:
    """The settings file names an account and a folder: owner-only (0600, its folder 0700 when we
    make it), like every file the app writes. Qt rewrites the file keeping the mode of the one it
    replaces, so it is made before Qt first writes it. The native format of Windows (the
    registry) and macOS (preferences written by the system) has no file of ours to restrict."""
    if q.format() == QSettings.Format.NativeFormat and sys.platform in ("win32", "darwin"):
        return
    path = Path(q.fileName())
    try:
        safe_file.make_private_dir(path.parent)
        safe_file.create_private(path)
    except OSError:
        pass  # a settings folder we cannot write: Qt keeps the settings in memory
