"""Showing and printing a PDF inside the app with QtPdf (QPdfDocument, QPdfView).

The PDF stays in memory (a QBuffer): nothing personal is written to disk for a preview or a
print. QtPdf ships as its own wheel (PySide6_Pdf); where it is missing, ``qtpdf_available``
is False and the screens say that preview and printing need it, and offer 「保存」 instead.
Printing renders each page with ``QPdfDocument.render`` onto the ``QPrinter`` (painting on a
QPrinter is allowed off the GUI thread, so it runs in the worker)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QImage, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from shakyo_desk.i18n import tr
from shakyo_desk.ui.dialogs import fit_to_screen
from shakyo_desk.ui.labels import notice_label

NO_QTPDF = ("このパソコンの社協デスクには、PDFを画面に表示する部品（QtPdf）が入っていません。"
            "「保存」でPDFファイルにしてから、PDFを開くソフトで確認・印刷してください。")
PRINT_DPI = 300
ZOOM_STEP = 1.25


def qtpdf_available() -> bool:
    try:
        from PySide6.QtPdf import QPdfDocument  # noqa: F401
    except ImportError:
        return False
    return True


class PdfData:
    """A QPdfDocument reading from bytes held in memory (the buffer lives as long as this)."""

    def __init__(self, data: bytes, parent=None):
        from PySide6.QtPdf import QPdfDocument

        self.buffer = QBuffer(parent)
        self.buffer.setData(QByteArray(data))
        self.buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(parent)
        self.document.load(self.buffer)
        if self.document.status() != QPdfDocument.Status.Ready or self.document.pageCount() < 1:
            raise ValueError("the PDF could not be read")

    @property
    def page_count(self) -> int:
        return self.document.pageCount()

    def render(self, page: int, dpi: float) -> QImage:
        points = self.document.pagePointSize(page)
        size = QSize(max(1, round(points.width() * dpi / 72)), max(1, round(points.height() * dpi / 72)))
        return self.document.render(page, size)


def render_pages(data: bytes, dpi: float = 72) -> list[QImage]:
    """Every page as an image (for tests and thumbnails)."""
    pdf = PdfData(data)
    return [pdf.render(page, dpi) for page in range(pdf.page_count)]


def print_pdf(data: bytes, printer, progress: Callable[[int, int], None] | None = None) -> int:
    """Print every page of ``data`` on ``printer`` (a QPrinter or any QPagedPaintDevice);
    returns the number of pages. Each page is scaled to fit the printable area, centred."""
    pdf = PdfData(data)
    dpi = min(PRINT_DPI, max(72, printer.resolution() if hasattr(printer, "resolution") else PRINT_DPI))
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("the printer could not be opened")
    try:
        for page in range(pdf.page_count):
            if page:
                printer.newPage()
            image = pdf.render(page, dpi)
            area = painter.viewport()
            scaled = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(QPoint(area.x() + (area.width() - scaled.width()) // 2,
                                  area.y() + (area.height() - scaled.height()) // 2), scaled)
            painter.drawImage(target, image)
            if progress is not None:
                progress(page + 1, pdf.page_count)
    finally:
        painter.end()
    return pdf.page_count


class PdfPreviewDialog(QDialog):
    """The PDF inside the app: all pages one under another, zoom, page count."""

    def __init__(self, data: bytes, title: str, parent: QWidget | None = None, *, note: str = ""):
        super().__init__(parent)
        from PySide6.QtPdfWidgets import QPdfView

        self.setWindowTitle(title)
        self.pdf = PdfData(data, self)
        self.view = QPdfView(self)
        self.view.setDocument(self.pdf.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setPageSpacing(12)
        self.view.setAccessibleName(tr("資料のプレビュー"))
        self.view.setStyleSheet("QPdfView { background: #7a7f86; }")

        heading = QLabel(title)
        heading.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.pages_label = QLabel(tr("全{n}ページ", n=self.pdf.page_count))
        self.note = notice_label(note, "caution")
        self.note.setVisible(bool(note))
        self.smaller = QPushButton(tr("縮小"))
        self.smaller.setToolTip(tr("縮小（Ctrl+-）"))
        self.bigger = QPushButton(tr("拡大"))
        self.bigger.setToolTip(tr("拡大（Ctrl++）"))
        self.fit = QPushButton(tr("幅に合わせる"))
        self.whole = QPushButton(tr("ページ全体"))
        self.close_button = QPushButton(tr("閉じる"))
        for button in (self.smaller, self.bigger, self.fit, self.whole, self.close_button):
            button.setAutoDefault(False)
        self.smaller.clicked.connect(lambda: self.zoom(1 / ZOOM_STEP))
        self.bigger.clicked.connect(lambda: self.zoom(ZOOM_STEP))
        self.fit.clicked.connect(lambda: self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth))
        self.whole.clicked.connect(lambda: self.view.setZoomMode(QPdfView.ZoomMode.FitInView))
        self.close_button.clicked.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.ZoomIn, self, lambda: self.zoom(ZOOM_STEP))
        QShortcut(QKeySequence.StandardKey.ZoomOut, self, lambda: self.zoom(1 / ZOOM_STEP))

        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.pages_label)
        self.actions_row = QHBoxLayout()  # callers may add 保存… / 印刷…
        bar = QHBoxLayout()
        bar.addWidget(self.smaller)
        bar.addWidget(self.bigger)
        bar.addWidget(self.fit)
        bar.addWidget(self.whole)
        bar.addStretch(1)
        bar.addLayout(self.actions_row)
        bar.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addWidget(self.view, 1)
        layout.addLayout(bar)
        fit_to_screen(self, QSize(860, 900))  # as tall as the screen allows
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def zoom(self, factor: float) -> None:
        from PySide6.QtPdfWidgets import QPdfView

        current = self.view.zoomFactor()
        if self.view.zoomMode() != QPdfView.ZoomMode.Custom:
            # the fitted zoom as a factor: the viewport width over the page width
            page = self.pdf.document.pagePointSize(0)
            dpi_scale = self.logicalDpiX() / 72
            current = self.view.viewport().width() / max(1.0, page.width() * dpi_scale)
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.25, min(4.0, current * factor)))
