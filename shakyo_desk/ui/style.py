"""Fonts, Qt's own Japanese translation and a few shared colours."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase, QIcon
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


def register_shipped_fonts() -> list[str]:
    """Add the BIZ UD Gothic files shipped for PDFs to Qt's fonts, so screens read the same on
    a PC that lacks them (macOS, a minimal Linux). A missing file only means the system font."""
    from shakyo_desk.reports.fonts import FILES, FontMissing, font_dir

    try:
        folder = font_dir()
    except FontMissing:
        return []
    families: list[str] = []
    for name in FILES.values():
        font_id = QFontDatabase.addApplicationFont(str(folder / name))
        if font_id >= 0:
            families.extend(QFontDatabase.applicationFontFamilies(font_id))
    return families


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


DESKTOP_FILE = "jp.shakyo_desk.ShakyoDesk"  # installers/linux: Wayland groups the window under it


def app_icon() -> QIcon:
    """The icon shipped next to the fonts (resources/icons in a checkout or the bundle,
    share/shakyo-desk/icons from a wheel); an empty icon when it is missing."""
    from shakyo_desk.reports.fonts import FontMissing, font_dir

    try:
        path = font_dir().parent / "icons" / "shakyo-desk-256.png"
    except FontMissing:
        return QIcon()
    return QIcon(str(path)) if path.is_file() else QIcon()


def setup_application(app: QApplication) -> None:
    app.setApplicationName("社協デスク")
    app.setOrganizationName("shakyo-desk")
    app.setDesktopFileName(DESKTOP_FILE)
    app.setWindowIcon(app_icon())
    install_qt_translation(app)
    register_shipped_fonts()
    apply_font(app)
