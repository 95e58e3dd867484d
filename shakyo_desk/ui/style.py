"""Fonts, Qt's own Japanese translation and a few shared colours."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

PREFERRED_FAMILIES = ("BIZ UDPGothic", "BIZ UDGothic")
MONO_FAMILIES = ("BIZ UDGothic",)

DEMO_COLOUR = "#e8700a"
ERROR_COLOUR = "#b00020"

_translators: list[QTranslator] = []


def install_qt_translation(app: QCoreApplication) -> bool:
    """Load qtbase_ja so standard buttons (OK, キャンセル…) read in Japanese."""
    QLocale.setDefault(QLocale(QLocale.Language.Japanese, QLocale.Country.Japan))
    path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator(app)
    if translator.load("qtbase_ja", path):
        app.installTranslator(translator)
        _translators.append(translator)
        return True
    return False


def _first_available(candidates: tuple[str, ...]) -> str | None:
    families = set(QFontDatabase.families())
    for family in candidates:
        if family in families:
            return family
    return None


def apply_font(app: QApplication, point_size: float = 10.5) -> str | None:
    family = _first_available(PREFERRED_FAMILIES)
    if family:
        font = QFont(family)
        font.setPointSizeF(point_size)
        app.setFont(font)
    return family


def mono_font(point_size: float = 20) -> QFont:
    family = _first_available(MONO_FAMILIES)
    font = QFont(family) if family else QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSizeF(point_size)
    return font


def setup_application(app: QApplication) -> None:
    app.setApplicationName("社協デスク")
    app.setOrganizationName("shakyo-desk")
    install_qt_translation(app)
    apply_font(app)
