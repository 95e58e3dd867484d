"""What every paper with names on it shares: its ink, the red of warnings, and the boxed
取扱注意 in its header (handouts, the 訪問予定リスト, the 復旧シート)."""

from collections.abc import Callable

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

CONFIDENTIAL = "取扱注意"
INK = colors.HexColor("#1a1a1a")
ALERT = colors.HexColor("#b00020")


def confidential_box(canvas: Canvas, x: float, baseline: float, font: str, size: float) -> float:
    """取扱注意 in a red box whose text sits on `baseline`; returns the box's width. Padding,
    height and line follow the size (12 pt: 3 mm each side, 7.8 mm high)."""
    pad = size * 0.25 * mm
    width = canvas.stringWidth(CONFIDENTIAL, font, size) + 2 * pad
    canvas.setFont(font, size)
    canvas.setStrokeColor(ALERT)
    canvas.setFillColor(ALERT)
    canvas.setLineWidth(size * 0.105)
    canvas.rect(x, baseline - size * 0.21 * mm, width, size * 0.65 * mm, stroke=1, fill=0)
    canvas.drawString(x + pad, baseline, CONFIDENTIAL)
    canvas.setFillColor(INK)
    return width


def confidential_page(page_size: tuple[float, float], margin_x: float, top: float, header: Callable[[object], str],
                      footer: str, footer_y: float, footer_size: float = 9) -> Callable:
    """A platypus page callback: the boxed 取扱注意 at the top left, ``header(doc)`` right-aligned on
    the same line and the handling line in red at the foot (the assessment sheet, the 開催通知)."""
    from shakyo_desk.reports.fonts import register_fonts

    def draw(canvas: Canvas, doc) -> None:
        regular, bold = register_fonts()
        page_w, page_h = page_size
        canvas.saveState()
        confidential_box(canvas, margin_x, page_h - top, bold, 11)
        canvas.setFont(regular, 9)
        canvas.setFillColor(INK)
        canvas.drawRightString(page_w - margin_x, page_h - top, header(doc))
        canvas.setFillColor(ALERT)
        canvas.setFont(regular, footer_size)
        canvas.drawString(margin_x, footer_y, footer)
        canvas.restoreState()
    return draw
