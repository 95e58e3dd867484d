"""復旧シート: everything needed to recover, on one A4 page (issue 17).

The recovery key in large monospaced characters in its groups of five, every zero drawn with
a slash (the key's alphabet, Crockford base32, has no O, I, L or U: ``store.keyfile``); the
council's recovery age identity, when there is one, as a QR code and as text in groups of four;
what each is for, what a パスフレーズ is, and where to keep the paper. Marked 取扱注意.

The same sheet is printed or saved as a PDF (no printer at hand): ``write_recovery_sheet``
writes it owner-only (0600) through ``domain.safe_file`` like every other export.

No Qt, no database."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shakyo_desk.domain.safe_file import write_atomic
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.reports.paper import ALERT, CONFIDENTIAL, INK, confidential_box
from shakyo_desk.reports.fonts import register_fonts

TITLE = "社協デスク 復旧シート"
IDENTITY_PREFIX = "AGE-SECRET-KEY-1"
KEY_GROUP = 5
IDENTITY_GROUP = 4
IDENTITY_GROUPS_PER_LINE = 5

KEY_HEADING = "① 復旧キー"
KEY_FOR = ("パスフレーズを全員が忘れたときや、パソコンが壊れて新しいパソコンにバックアップを戻すときに、"
           "データを開くためのキーです。ログインの画面の「パスフレーズを忘れた場合（復旧キーを使う）」から入力します。")
KEY_ALPHABET = ("英字の O（オー）・I（アイ）・L（エル）・U（ユー）は使っていないので、丸い字はすべて数字の 0（ゼロ）、"
                "縦棒はすべて数字の 1 です。")
KEY_LETTERS = ("文字について：0（ゼロ）には斜線を入れています。" + KEY_ALPHABET
               + "5文字ずつの区切りや空白は、入力してもしなくても構いません。")
IDENTITY_HEADING = "② 同期ファイルの復旧用の鍵（age の鍵）"
IDENTITY_FOR = ("社協デスクそのものが使えなくなったときに、端末どうしでやりとりした同期ファイルを開いて記録を取り出すための"
                "鍵です。age（エイジ）という公開の暗号化の道具で使います。ふだんは使いません。")
IDENTITY_LETTERS = ("文字について：0（ゼロ）には斜線を入れています。英字の O・I・B と、最初の「KEY-1」以外の数字の 1 は"
                    "使っていません。入力するときは、空白を入れずに1行に続けて書きます。"
                    "QRコードを読み取ると同じ文字が出ます。")
PASSPHRASE_HEADING = "パスフレーズとは"
PASSPHRASE_TEXT = ("パスフレーズは、ふだん社協デスクを開くときにログイン名と一緒に入力する、一人ひとりの合言葉です。"
                   "この紙には書きません。自分のパスフレーズを忘れたときは、管理者が再設定できます。"
                   "復旧キーを使うのは、全員が忘れたときや、パソコンが壊れたときだけです。")
KEEP_HEADING = "この紙の保管"
KEEP_LINES = (
    "金庫など鍵のかかる場所に、パソコンとは別にして保管してください（封筒に入れて封をし、表に「社協デスク 復旧シート」と"
    "日付を書きます）。",
    "写真に撮らない・コピーしない・メールで送らない・パソコンやスマートフォンに保存しないでください。",
    "PDFとして保存したときは、印刷したらそのファイルを削除してください。"
    "USBメモリに入れて保管するときは、そのUSBメモリもこの紙と同じように金庫に入れます。",
    "復旧キーを作り直しても、前の復旧シートは、それより前に作ったバックアップを戻すときに使います。"
    "捨てずに一緒に保管してください。",
    "なくしたとき・人に見られたかもしれないときは、すぐに管理者が「アカウント」の画面の「復旧キーを作り直す」で"
    "新しいキーを作ります。",
)
NO_IDENTITY = ("同期ファイルの復旧用の鍵（age の鍵）は、社協のデータを最初に作ったときの復旧シート（事務局の端末）に"
               "印刷されています。復旧キーを作り直しても変わりません。")
FOOTER = "取扱注意：この紙があれば誰でも記録を開けます。鍵のかかる場所に保管してください。"

PAGE_W, PAGE_H = A4
MARGIN_X = 16 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 17 * mm
BODY_W = PAGE_W - 2 * MARGIN_X
BODY_PT = 10.5
KEY_PT = 24
IDENTITY_PT = 15
QR_SIZE = 40 * mm
RULE = colors.HexColor("#6b6b6b")
PAPER = colors.HexColor("#fffdf2")
SHADE = colors.HexColor("#f1f1f1")


@dataclass(frozen=True)
class RecoverySheet:
    """What goes on the sheet (plain text; the caller has the key just made)."""

    council_name: str
    recovery_key: str
    made_on: date
    identity: str = ""
    device_name: str = ""     # a joined installation has a key of its own: say which one


def key_groups(key: str) -> list[str]:
    """The recovery key in its groups of five, whatever separators it came with."""
    raw = "".join(ch for ch in key.upper() if ch.isalnum())
    return [raw[i:i + KEY_GROUP] for i in range(0, len(raw), KEY_GROUP)]


def identity_lines(identity: str) -> list[str]:
    """The age identity as printed: its fixed prefix on a line, then groups of four, five a line."""
    text = identity.strip().upper()
    if not text:
        return []
    head, rest = (IDENTITY_PREFIX, text[len(IDENTITY_PREFIX):]) if text.startswith(IDENTITY_PREFIX) else ("", text)
    groups = [rest[i:i + IDENTITY_GROUP] for i in range(0, len(rest), IDENTITY_GROUP)]
    lines = [head] if head else []
    for i in range(0, len(groups), IDENTITY_GROUPS_PER_LINE):
        lines.append(" ".join(groups[i:i + IDENTITY_GROUPS_PER_LINE]))
    return lines


# ---- flowables ---------------------------------------------------------------------------

class MonoLines(Flowable):
    """Lines of a monospaced code, each zero with a slash drawn over it."""

    def __init__(self, lines: list[str], font: str, size: float, *, leading: float, centred: bool = False,
                 gap: str = " "):
        super().__init__()
        self.lines = [line.replace(" ", gap) for line in lines]
        self.font, self.size, self.leading, self.centred = font, size, leading, centred

    def wrap(self, avail_width, avail_height):
        self.width = avail_width
        self.height = self.leading * len(self.lines)
        return self.width, self.height

    def draw(self):
        canvas = self.canv
        canvas.setFillColor(INK)
        canvas.setStrokeColor(INK)
        canvas.setFont(self.font, self.size)
        canvas.setLineWidth(self.size * 0.085)
        canvas.setLineCap(1)
        for number, line in enumerate(self.lines):
            width = stringWidth(line, self.font, self.size)
            x = (self.width - width) / 2 if self.centred else 0
            y = self.height - (number + 1) * self.leading + (self.leading - self.size) / 2 + self.size * 0.14
            canvas.drawString(x, y, line)
            for at, char in enumerate(line):
                if char == "0":
                    self._slash(canvas, x + stringWidth(line[:at], self.font, self.size), y)

    def _slash(self, canvas, x: float, y: float) -> None:
        """A diagonal across the zero, a little past its oval (BIZ UD Gothic: half an em wide, cap
        height about 0.77 em), so the slash shows at any print quality."""
        em = self.size
        canvas.line(x + 0.07 * em, y - 0.03 * em, x + 0.43 * em, y + 0.79 * em)


def _styles(regular: str, bold: str, body_pt: float = BODY_PT) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=regular, fontSize=body_pt, leading=body_pt * 1.5, textColor=INK,
                          alignment=TA_LEFT, wordWrap="CJK")
    small = body_pt - 1
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=small, leading=small * 1.5),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=20, leading=26),
        "meta": ParagraphStyle("meta", parent=base, fontSize=11.5, leading=17),
        "heading": ParagraphStyle("heading", parent=base, fontName=bold, fontSize=13, leading=18),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=4 * mm, bulletIndent=0, bulletFontName=regular,
                                 leading=body_pt * 1.4),
    }


def _p(text: str, style: ParagraphStyle, **kw) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style, **kw)


def _boxed(rows: list, *, background=PAPER, border=1.4) -> Table:
    table = Table([[row] for row in rows], colWidths=[BODY_W])
    table.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), border, INK),
        ("BACKGROUND", (0, 0), (-1, -1), background),
        ("LEFTPADDING", (0, 0), (-1, -1), 4 * mm),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4 * mm),
        ("TOPPADDING", (0, 0), (-1, -1), 1.6 * mm),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.6 * mm),
    ]))
    return table


def qr_drawing(identity: str) -> Drawing:
    widget = QrCodeWidget(identity, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def build_story(sheet: RecoverySheet, regular: str, bold: str, body_pt: float = BODY_PT) -> list:
    st = _styles(regular, bold, body_pt)
    gap = 3 * mm * body_pt / BODY_PT
    inner = BODY_W - 8 * mm
    where = sheet.council_name + (f"（端末：{sheet.device_name}）" if sheet.device_name else "")
    story: list = [
        _p(TITLE, st["title"]),
        _p(f"社協：{where}\n作成日：{format_wareki(sheet.made_on)}", st["meta"]),
        Spacer(1, gap),
        _p(KEY_HEADING, st["heading"]),
        _boxed([MonoLines(["  ".join(key_groups(sheet.recovery_key))], bold, KEY_PT, leading=KEY_PT * 1.6,
                          centred=True)], border=2),
        Spacer(1, 1.5 * mm),
        _p(KEY_FOR, st["body"]),
        _p(KEY_LETTERS, st["small"]),
        Spacer(1, gap),
    ]
    if sheet.identity:
        text_w = inner - QR_SIZE - 4 * mm
        lines = identity_lines(sheet.identity)
        codes = Table([[qr_drawing(sheet.identity), MonoLines(lines, bold, IDENTITY_PT, leading=IDENTITY_PT * 1.55)]],
                      colWidths=[QR_SIZE + 4 * mm, text_w])
        codes.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        story += [KeepTogether([
            _p(IDENTITY_HEADING, st["heading"]),
            _boxed([codes]),
            Spacer(1, 1.5 * mm),
            _p(IDENTITY_FOR, st["body"]),
            _p(IDENTITY_LETTERS, st["small"]),
        ]), Spacer(1, gap)]
    else:
        story += [_p(NO_IDENTITY, st["small"]), Spacer(1, gap)]
    story += [
        KeepTogether([_p(PASSPHRASE_HEADING, st["heading"]), _boxed([_p(PASSPHRASE_TEXT, st["body"])],
                                                                     background=SHADE, border=0.6)]),
        Spacer(1, gap),
        _p(KEEP_HEADING, st["heading"]),
        *[_p(line, st["bullet"], bulletText="・") for line in KEEP_LINES],
    ]
    return story


def _furniture(canvas: Canvas, _doc, *, regular: str, bold: str, council_name: str) -> None:
    canvas.saveState()
    top = PAGE_H - 12 * mm
    confidential_box(canvas, MARGIN_X, top - 1 * mm, bold, 14)
    canvas.setFont(regular, 10)
    canvas.drawRightString(PAGE_W - MARGIN_X, top - 1 * mm, council_name)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN_X, top - 6 * mm, PAGE_W - MARGIN_X, top - 6 * mm)
    bottom = 10 * mm
    canvas.line(MARGIN_X, bottom + 4.5 * mm, PAGE_W - MARGIN_X, bottom + 4.5 * mm)
    canvas.setFont(bold, 10)
    canvas.setFillColor(ALERT)
    canvas.drawString(MARGIN_X, bottom, FOOTER)
    canvas.restoreState()


def recovery_sheet_pdf(sheet: RecoverySheet) -> bytes:
    """One page: long names that would push the last lines over are set a little smaller."""
    for body_pt in (BODY_PT, BODY_PT - 1, BODY_PT - 2):
        data, pages = _build(sheet, body_pt)
        if pages == 1:
            break
    return data


def _build(sheet: RecoverySheet, body_pt: float) -> tuple[bytes, int]:
    regular, bold = register_fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, title=TITLE, author=sheet.council_name, subject=CONFIDENTIAL,
        creator="社協デスク", initialFontName=regular, initialFontSize=BODY_PT,
    )

    def furniture(canvas, doc):
        _furniture(canvas, doc, regular=regular, bold=bold, council_name=sheet.council_name)

    doc.build(build_story(sheet, regular, bold, body_pt), onFirstPage=furniture, onLaterPages=furniture)
    return buffer.getvalue(), doc.page


def write_recovery_sheet(path: str | Path, sheet: RecoverySheet) -> Path:
    """The sheet as a PDF file, owner-only and atomic (``safe_file``)."""
    path = Path(path)
    write_atomic(path, recovery_sheet_pdf(sheet))
    return path
