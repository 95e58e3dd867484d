"""The Japanese font for paper: BIZ UD Gothic (SIL OFL 1.1), shipped in ``resources/fonts/``.

``register_fonts()`` registers the regular and bold faces with reportlab once per process
and returns their names. reportlab embeds a subset of each TrueType face in every PDF that
uses it, so a printed list looks the same on any computer. Nothing is downloaded: when the
files are missing, ``FontMissing`` says where they were looked for.

Where the fonts are looked for, first match wins (see ``resources/fonts/README.md``):

1. ``SHAKYO_FONT_DIR`` (an administrator's override; also handy for installers),
2. ``<PyInstaller bundle>/resources/fonts`` when running frozen,
3. ``<checkout>/resources/fonts`` next to the package — a source checkout or ``pip install -e .``,
4. ``<sys.prefix>/share/shakyo-desk/fonts`` — where an installed wheel puts its copy
   (``[tool.setuptools.data-files]`` in pyproject.toml).
"""

import os
import sys
import threading
from pathlib import Path

from shakyo_desk.domain.errors import UserError

FONT_REGULAR = "BIZUDGothic"
FONT_BOLD = "BIZUDGothic-Bold"
FAMILY = "BIZUDGothicFamily"

FILES = {FONT_REGULAR: "BIZUDGothic-Regular.ttf", FONT_BOLD: "BIZUDGothic-Bold.ttf"}
ENV_FONT_DIR = "SHAKYO_FONT_DIR"

_lock = threading.Lock()
_registered = False


class FontMissing(UserError):
    """The shipped font files cannot be found (a broken installation)."""


def candidate_dirs() -> list[Path]:
    package = Path(__file__).resolve().parents[1]  # shakyo_desk/
    dirs = []
    override = os.environ.get(ENV_FONT_DIR)
    if override:
        dirs.append(Path(override).expanduser())
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        dirs.append(Path(bundle) / "resources" / "fonts")
    dirs.append(package.parent / "resources" / "fonts")
    dirs.append(Path(sys.prefix) / "share" / "shakyo-desk" / "fonts")
    return dirs


def font_dir() -> Path:
    """The first folder holding both faces."""
    tried = candidate_dirs()
    for folder in tried:
        if all((folder / name).is_file() for name in FILES.values()):
            return folder
    raise FontMissing(
        "PDFに使う日本語フォント（BIZ UDゴシック）が見つかりません。アプリを入れ直してください。"
        f"（探した場所：{'、'.join(str(d) for d in tried)}）"
    )


def register_fonts() -> tuple[str, str]:
    """Register BIZ UD Gothic with reportlab (once); returns (regular, bold) font names."""
    global _registered
    with _lock:
        if not _registered:
            from reportlab.lib.fonts import addMapping
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.ttfonts import TTFont

            folder = font_dir()
            for name, filename in FILES.items():
                # subfontIndex 0, embedded as a subset (reportlab's default for TTFont)
                pdfmetrics.registerFont(TTFont(name, str(folder / filename)))
            pdfmetrics.registerFontFamily(FAMILY, normal=FONT_REGULAR, bold=FONT_BOLD,
                                          italic=FONT_REGULAR, boldItalic=FONT_BOLD)
            for bold, italic, name in ((0, 0, FONT_REGULAR), (1, 0, FONT_BOLD), (0, 1, FONT_REGULAR),
                                       (1, 1, FONT_BOLD)):
                addMapping(FONT_REGULAR, bold, italic, name)
            _registered = True
    return FONT_REGULAR, FONT_BOLD
