"""The 操作ガイド (user guide, ``docs/ja``) in a window of the app: the Markdown pages rendered
by ``QTextBrowser.setMarkdown`` (through ``setSource``), images resolved next to each page,
links between pages followed, a table of contents on the left. It works offline on every PC
and needs no browser or Markdown viewer.

Where the guide is looked for, first match wins (like the fonts, ``reports/fonts.py``):

1. ``SHAKYO_GUIDE_DIR`` (an administrator's override; tests),
2. ``<PyInstaller bundle>/docs/ja`` when running frozen,
3. ``<checkout>/docs/ja`` next to the package (a source checkout, ``pip install -e .``),
4. ``<sys.prefix>/share/shakyo-desk/docs/ja`` (where a wheel could put its copy).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QImage, QKeySequence, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout, QListWidget, QListWidgetItem, QMenu, QPushButton, QSplitter, QTextBrowser, QVBoxLayout,
    QWidget,
)

from shakyo_desk.i18n import tr

ENV_GUIDE_DIR = "SHAKYO_GUIDE_DIR"
INDEX = "README.md"
MAX_IMAGE_WIDTH = 900  # screenshots are shown scaled down to this, or to the page's width
_LINK = re.compile(r"\[([^\]]+)\]\(([^)#\s]+\.md)(?:#[^)]*)?\)")


def guide_candidate_dirs() -> list[Path]:
    package = Path(__file__).resolve().parents[1]  # shakyo_desk/
    dirs = []
    override = os.environ.get(ENV_GUIDE_DIR)
    if override:
        dirs.append(Path(override).expanduser())
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        dirs.append(Path(bundle) / "docs" / "ja")
    dirs.append(package.parent / "docs" / "ja")
    dirs.append(Path(sys.prefix) / "share" / "shakyo-desk" / "docs" / "ja")
    return dirs


def guide_dir() -> Path | None:
    """The first folder holding the guide's index, or None."""
    return next((d for d in guide_candidate_dirs() if (d / INDEX).is_file()), None)


def contents(folder: Path) -> list[tuple[str, str]]:
    """(title, file name) of the pages the index links to, in its order (the table of contents)."""
    seen, pages = set(), []
    for title, target in _LINK.findall((folder / INDEX).read_text(encoding="utf-8")):
        if "/" not in target and target not in seen and (folder / target).is_file():
            seen.add(target)
            pages.append((title, target))
    return pages


class GuideBrowser(QTextBrowser):
    """Markdown pages with their images (scaled to fit) and page links; web links go to the browser."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setOpenExternalLinks(True)
        self.setOpenLinks(True)
        self.document().setDocumentMargin(16)

    def loadResource(self, kind: int, url: QUrl):  # noqa: N802 - Qt API
        if kind in (QTextDocument.ResourceType.ImageResource, QTextDocument.ResourceType.ImageResource.value):
            path = self._local(url)
            if path is not None:
                image = QImage(str(path))
                fit = max(360, min(MAX_IMAGE_WIDTH, self.viewport().width() - 48))
                if not image.isNull() and image.width() > fit:
                    image = image.scaledToWidth(fit, Qt.TransformationMode.SmoothTransformation)
                return image
        return super().loadResource(kind, url)

    def _local(self, url: QUrl) -> Path | None:
        resolved = self.source().resolved(url) if url.isRelative() else url
        if not resolved.isLocalFile():
            return None
        path = Path(resolved.toLocalFile())
        return path if path.is_file() else None

    def doSetSource(self, url: QUrl, kind=QTextDocument.ResourceType.UnknownResource):  # noqa: N802 - Qt API
        if url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)
            return
        if url.isLocalFile() and url.toLocalFile().endswith(".md"):
            kind = QTextDocument.ResourceType.MarkdownResource
        super().doSetSource(url, kind)


class HelpWindow(QWidget):
    """操作ガイド: contents on the left, the page on the right; 戻る・進む・目次."""

    def __init__(self, folder: Path | None = None, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.folder = folder if folder is not None else guide_dir()
        self.setWindowTitle(tr("社協デスク - 操作ガイド"))
        self.browser = GuideBrowser()
        self.browser.setAccessibleName(tr("操作ガイドの本文"))
        self.toc = QListWidget()
        self.toc.setAccessibleName(tr("操作ガイドの目次"))
        self.toc.setStyleSheet("QListWidget { font-size: 11pt; } QListWidget::item { padding: 6px 4px; }")
        self.toc.setMinimumWidth(200)
        self.back_button = QPushButton(tr("← 戻る"))
        self.forward_button = QPushButton(tr("進む →"))
        self.home_button = QPushButton(tr("目次"))
        for button in (self.back_button, self.forward_button, self.home_button):
            button.setAutoDefault(False)
        self.back_button.clicked.connect(self.browser.backward)
        self.forward_button.clicked.connect(self.browser.forward)
        self.home_button.clicked.connect(self.browser.home)
        self.browser.backwardAvailable.connect(self.back_button.setEnabled)
        self.browser.forwardAvailable.connect(self.forward_button.setEnabled)
        self.back_button.setEnabled(False)
        self.forward_button.setEnabled(False)
        self.browser.sourceChanged.connect(self._source_changed)
        self.toc.currentRowChanged.connect(self._toc_chosen)
        close = QAction(self)
        close.setShortcut(QKeySequence(QKeySequence.StandardKey.Close))
        close.triggered.connect(self.close)
        self.addAction(close)

        bar = QHBoxLayout()
        bar.addWidget(self.back_button)
        bar.addWidget(self.forward_button)
        bar.addWidget(self.home_button)
        bar.addStretch(1)
        split = QSplitter()
        split.addWidget(self.toc)
        split.addWidget(self.browser)
        split.setStretchFactor(1, 1)
        split.setSizes([230, 770])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        self.resize(QSize(1040, 760))
        self._load()

    def _load(self) -> None:
        if self.folder is None:
            tried = "、".join(str(d) for d in guide_candidate_dirs())
            self.browser.setPlainText(tr("操作ガイドが見つかりません。アプリを入れ直してください。（探した場所：{tried}）",
                                         tried=tried))
            self.toc.setEnabled(False)
            return
        self.browser.setSearchPaths([str(self.folder)])
        self.pages = [(tr("目次（はじめに）"), INDEX)] + contents(self.folder)
        self.toc.blockSignals(True)
        for title, name in self.pages:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.toc.addItem(item)
        self.toc.blockSignals(False)
        self.show_page(INDEX)

    def show_page(self, name: str = INDEX) -> None:
        if self.folder is None:
            return
        path = self.folder / name
        if not path.is_file():
            path = self.folder / INDEX
        self.browser.setSource(QUrl.fromLocalFile(str(path)), QTextDocument.ResourceType.MarkdownResource)

    def current_page(self) -> str:
        return Path(self.browser.source().toLocalFile()).name

    def _source_changed(self, url: QUrl) -> None:
        name = Path(url.toLocalFile()).name
        names = [n for _t, n in getattr(self, "pages", [])]
        self.toc.blockSignals(True)
        self.toc.setCurrentRow(names.index(name) if name in names else -1)
        self.toc.blockSignals(False)

    def _toc_chosen(self, row: int) -> None:
        if 0 <= row < len(self.pages):
            self.show_page(self.pages[row][1])


def open_guide(window: QWidget, page: str = INDEX) -> HelpWindow:
    """Show the guide (one window per main window), at ``page``."""
    help_window = getattr(window, "help_window", None)
    if help_window is None:
        help_window = HelpWindow(parent=window)
        window.help_window = help_window
    help_window.show_page(page)
    help_window.show()
    help_window.raise_()
    help_window.activateWindow()
    return help_window


def install_help_actions(window, menu: QMenu, open_first_steps: Callable[[], None]) -> None:
    """ヘルプ menu: 操作ガイド (F1) and はじめにすること (``open_first_steps``, given by the main
    window: the first steps link to the guide, so this module does not import them), then a separator."""
    guide = QAction(tr("操作ガイド"), window)
    guide.setShortcut(QKeySequence("F1"))
    guide.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    guide.triggered.connect(lambda: open_guide(window))
    menu.addAction(guide)
    first = QAction(tr("はじめにすること…"), window)
    first.triggered.connect(lambda: open_first_steps())
    menu.addAction(first)
    menu.addSeparator()
    window.guide_action = guide
    window.first_steps_action = first
