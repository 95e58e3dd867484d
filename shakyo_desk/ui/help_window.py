"""The 操作ガイド (user guide, ``docs/ja``) in a window of the app: the Markdown pages rendered
by ``QTextBrowser.setMarkdown`` (through ``setSource``), images resolved next to each page,
links between pages followed, a table of contents on the left. It works offline on every PC
and needs no browser or Markdown viewer.

Where the guide is looked for, first match wins (like the fonts, ``reports/fonts.py``):

1. ``SHAKYO_GUIDE_DIR`` (an administrator's override; tests),
2. ``<PyInstaller bundle>/docs/ja`` when running frozen,
3. ``<checkout>/docs/ja`` next to the package (a source checkout, ``pip install -e .``),
4. ``<sys.prefix>/share/shakyo-desk/docs/ja`` (where a wheel could put its copy).

F1 opens the guide at the topic of the page shown in the main window (``PAGE_TOPICS``: the
guide's page and, where the topic is a section of it, the section's heading).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QImage, QKeySequence, QTextBlock, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout, QListWidget, QListWidgetItem, QMenu, QPushButton, QSplitter, QTextBrowser, QVBoxLayout,
    QWidget,
)

from shakyo_desk.i18n import tr
from shakyo_desk.ui.appearance import fit_width_to_items
from shakyo_desk.ui.dialogs import fit_to_screen

ENV_GUIDE_DIR = "SHAKYO_GUIDE_DIR"
INDEX = "README.md"
MAX_IMAGE_WIDTH = 900  # screenshots are shown scaled down to this, or to the page's width
_LINK = re.compile(r"\[([^\]]+)\]\(([^)#\s]+\.md)(?:#[^)]*)?\)")

# The guide's topic for each page of the navigation (``PageSpec.key``): a page of the guide and,
# where the topic is one of its sections, that section's heading (as written in the Markdown).
PAGE_TOPICS: dict[str, tuple[str, str | None]] = {
    "households": (INDEX, "画面の見方と、共通の操作"),
    "watch": ("visits.md", "入力画面を開く"),
    "contacts": ("visits.md", "記録を見る"),
    "sheets": ("sheets.md", None),
    "cases": ("cases.md", None),
    "salons": ("salons.md", None),
    "community": ("community.md", None),
    "referrals": ("sheets.md", "関係機関につなぐ（つなぎ）"),
    "stats": ("stats.md", None),
    "conferences": ("handouts.md", None),
    "handouts": ("handouts.md", "会議のあと：回収と廃棄"),
    "conflicts": ("sync.md", "要確認（競合）を片づける"),
    "sync": ("sync.md", None),
    "agencies": ("import.md", None),
    "districts": (INDEX, "はじめて使うとき"),
    "accounts": (INDEX, "困ったとき"),
    "settings": ("backup.md", None),
    "retention": ("handouts.md", "会議のあと：回収と廃棄"),
    "audit": (INDEX, "困ったとき"),
}


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
        self.toc.setTextElideMode(Qt.TextElideMode.ElideNone)
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
        fit_to_screen(self, QSize(1040, 760))
        self._load()
        fit_width_to_items(self.toc)  # every title whole, whatever the text size

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

    def show_page(self, name: str = INDEX, heading: str | None = None) -> None:
        """Show the guide's page ``name``, scrolled to its section ``heading`` when given."""
        if self.folder is None:
            return
        path = self.folder / name
        if not path.is_file():
            path = self.folder / INDEX
        self.browser.setSource(QUrl.fromLocalFile(str(path)), QTextDocument.ResourceType.MarkdownResource)
        block = self.heading_block(heading) if heading else None
        bar = self.browser.verticalScrollBar()
        if block is not None:
            top = self.browser.document().documentLayout().blockBoundingRect(block).top()
            bar.setValue(int(top))
        else:
            bar.setValue(bar.minimum())

    def heading_block(self, heading: str) -> QTextBlock | None:
        """The block of the page's heading ``heading``, or None."""
        block = self.browser.document().begin()
        while block.isValid():
            if block.blockFormat().headingLevel() > 0 and block.text().strip() == heading:
                return block
            block = block.next()
        return None

    def heading_in_view(self, heading: str) -> bool:
        """Whether the section heading ``heading`` is in the view (what F1 showed)."""
        block = self.heading_block(heading)
        if block is None:
            return False
        rect = self.browser.document().documentLayout().blockBoundingRect(block)
        top = self.browser.verticalScrollBar().value()
        return top <= rect.top() and rect.bottom() <= top + self.browser.viewport().height()

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


def page_topic(window: QWidget) -> tuple[str, str | None]:
    """The guide's page and section for what ``window`` shows (its ``current_page_key()``), or
    the index."""
    key_of = getattr(window, "current_page_key", None)
    key = key_of() if callable(key_of) else None
    return PAGE_TOPICS.get(key, (INDEX, None)) if key else (INDEX, None)


def open_guide(window: QWidget, page: str = INDEX, heading: str | None = None) -> HelpWindow:
    """Show the guide (one window per main window), at ``page`` (and its section ``heading``)."""
    help_window = getattr(window, "help_window", None)
    if help_window is None:
        help_window = HelpWindow(parent=window)
        window.help_window = help_window
    help_window.show()  # shown first: the section is scrolled to in the laid-out page
    help_window.show_page(page, heading)
    help_window.raise_()
    help_window.activateWindow()
    return help_window


def install_help_actions(window, menu: QMenu, open_first_steps: Callable[[], None]) -> None:
    """ヘルプ menu: 操作ガイド (F1) and はじめにすること (``open_first_steps``, given by the main
    window: the first steps link to the guide, so this module does not import them), then a separator."""
    guide = QAction(tr("操作ガイド"), window)
    guide.setShortcut(QKeySequence("F1"))
    guide.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    guide.triggered.connect(lambda: open_guide(window, *page_topic(window)))  # the page's own topic
    menu.addAction(guide)
    first = QAction(tr("はじめにすること…"), window)
    first.triggered.connect(lambda: open_first_steps())
    menu.addAction(first)
    menu.addSeparator()
    window.guide_action = guide
    window.first_steps_action = first
