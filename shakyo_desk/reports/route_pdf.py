"""訪問予定リスト: the 見守り households due on a day, on A4 paper for a worker going out
without a laptop.

One block per household, grouped by district in the order the rows come (the schedule
service sorts them most overdue first): who, where, phone, features, the last visit, how
overdue, what to check, and room to write the result by hand. Every page carries
取扱注意, page n/m and a reminder to bring the paper back and shred it.

No Qt, no database: the caller passes plain ``DueHousehold`` rows."""

import io
from collections.abc import Iterable, Sequence
from datetime import date
from functools import partial
from pathlib import Path
from typing import Protocol
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle,
)

from shakyo_desk.domain.safe_file import write_atomic
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.reports.paper import ALERT, CONFIDENTIAL, INK, confidential_box
from shakyo_desk.reports.fonts import register_fonts

TITLE = "訪問予定リスト"
HANDLING_LINES = ("個人情報です。外から見えないように持ち歩き、置き忘れに気をつけてください。",
                  "使い終わったら事務局に持ち帰り、記録を入力したらシュレッダーで処分してください。")
HANDLING = "".join(HANDLING_LINES)
NO_VISITS = "この日までに訪問を予定している世帯はありません。"
NO_RECORD = "記録なし"
NO_DISTRICT = "地区なし"

PAGE_W, PAGE_H = A4
MARGIN_X = 15 * mm
MARGIN_TOP = 22 * mm  # room for the running header
MARGIN_BOTTOM = 20 * mm  # room for the running footer
BODY_W = PAGE_W - 2 * MARGIN_X
LABEL_W = 27 * mm
MEMO_ROW = 8.5 * mm  # room to write by hand

BODY_PT = 11
SMALL_PT = 10
NAME_PT = 14
RULE = colors.HexColor("#6b6b6b")
SHADE = colors.HexColor("#ececec")


class RouteRow(Protocol):
    """What a row needs (``store.services.watch.DueHousehold`` has it)."""

    household_id: str
    head_name: str
    head_kana: str
    district: str
    address: str
    phone: str
    flags: Sequence[str]
    watch_level: str
    last_contact: date | None
    last_attempt: date | None
    due: date
    next_action: str

    def overdue_days(self, today: date) -> int: ...


# ---- text ------------------------------------------------------------------------------

def overdue_text(row: RouteRow, day: date) -> str:
    days = row.overdue_days(day)
    if days > 0:
        return f"{days}日過ぎ"
    if days == 0:
        return "今日が予定日"
    return f"予定日まであと{-days}日"


def last_visit_text(row: RouteRow) -> str:
    text = format_wareki(row.last_contact) if row.last_contact else NO_RECORD
    if row.last_attempt and (row.last_contact is None or row.last_attempt > row.last_contact):
        text += f"（その後 {format_wareki(row.last_attempt)}に訪ねたが会えず）"
    return text


def group_by_district(rows: Iterable[RouteRow]) -> list[tuple[str, list[RouteRow]]]:
    """Districts in the order they first appear; households keep the rows' order."""
    groups: dict[str, list[RouteRow]] = {}
    for row in rows:
        groups.setdefault(row.district or NO_DISTRICT, []).append(row)
    return list(groups.items())


# ---- styles ------------------------------------------------------------------------------

def _styles(regular: str, bold: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=regular, fontSize=BODY_PT, leading=BODY_PT * 1.4, textColor=INK,
                          alignment=TA_LEFT, wordWrap="CJK")
    return {
        "body": base,
        "label": ParagraphStyle("label", parent=base, fontName=bold, fontSize=SMALL_PT, leading=SMALL_PT * 1.5),
        "small": ParagraphStyle("small", parent=base, fontSize=SMALL_PT, leading=SMALL_PT * 1.45),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=20, leading=26),
        "meta": ParagraphStyle("meta", parent=base, fontSize=12, leading=18),
        "summary": ParagraphStyle("summary", parent=base, fontName=bold, fontSize=12, leading=18, alignment=TA_RIGHT),
        "district": ParagraphStyle("district", parent=base, fontName=bold, fontSize=13, leading=18,
                                   textColor=colors.white),
        "name": ParagraphStyle("name", parent=base, fontName=bold, fontSize=NAME_PT, leading=NAME_PT * 1.35),
        "alert": ParagraphStyle("alert", parent=base, fontName=bold, textColor=ALERT),
        "empty": ParagraphStyle("empty", parent=base, fontSize=13, leading=20),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


# ---- blocks ------------------------------------------------------------------------------

def _title_block(st, council_name: str, day: date, staff_name: str, count: int, districts: int) -> list:
    meta = [f"{format_wareki(day, weekday=True)}　訪問分"]
    if council_name:
        meta.append(council_name)
    meta.append(f"担当：{staff_name}" if staff_name else "担当：＿＿＿＿＿＿＿＿＿＿")
    summary = f"{count}世帯（{districts}地区）" if count else "0世帯"
    table = Table(
        [[_p(TITLE, st["title"]), _p(summary, st["summary"])],
         [_p("　".join(meta), st["meta"]), ""]],
        colWidths=[BODY_W - 45 * mm, 45 * mm],
    )
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), st["body"].fontName, BODY_PT),
        ("SPAN", (0, 1), (1, 1)),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("ALIGN", (1, 0), (1, 0), "RIGHT"),
        ("LINEBELOW", (0, 1), (-1, 1), 1.2, INK),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 1), (-1, 1), 6),
    ]))
    return [table, Spacer(0, 5 * mm)]


def _district_heading(st, name: str, count: int) -> Table:
    table = Table([[_p(f"{name}　（{count}世帯）", st["district"])]], colWidths=[BODY_W])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), st["body"].fontName, BODY_PT),
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#3a3a3a")),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def _household_block(st, number: int, row: RouteRow, day: date) -> Table:
    name = escape(row.head_name or "（氏名なし）")
    kana = f'<font size="{SMALL_PT}" name="{st["body"].fontName}">　{escape(row.head_kana)}</font>' \
        if row.head_kana else ""
    level = f"見守り：{row.watch_level}" if row.watch_level and row.watch_level != "なし" else ""
    overdue = overdue_text(row, day)
    overdue_style = st["alert"] if row.overdue_days(day) > 0 else st["body"]

    def label(text):
        return _p(text, st["label"])

    data = [
        [Paragraph(f"{number}．{name}{kana}", st["name"]), "", _p(level, st["small"])],
        [label("住所"), _p(row.address or "（未登録）", st["body"]), ""],
        [label("電話"), _p(row.phone or "（未登録）", st["body"]), ""],
    ]
    if row.flags:
        data.append([label("特徴"), _p("、".join(row.flags), st["body"]), ""])
    data += [
        [label("前回の訪問"), _p(last_visit_text(row), st["body"]), ""],
        [label("予定日"), Paragraph(f"{escape(format_wareki(row.due))}　"
                                     f"<font name='{overdue_style.fontName}' color='{overdue_style.textColor.hexval()}'>"
                                     f"{escape(overdue)}</font>", st["body"]), ""],
        [label("確認すること"), _p(row.next_action or "（特になし）", st["body"]), ""],
        [label("結果"), _p("□ 会えた　　□ 不在　　□ 電話で話せた　　時刻 ＿＿＿：＿＿＿", st["body"]), ""],
        [label("メモ"), "", ""],
        ["", "", ""],
    ]
    memo_first = len(data) - 2
    table = Table(data, colWidths=[LABEL_W, BODY_W - LABEL_W - 32 * mm, 32 * mm],
                  rowHeights=[None] * memo_first + [MEMO_ROW] * 2)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), st["body"].fontName, BODY_PT),
        ("SPAN", (0, 0), (1, 0)),
        *[("SPAN", (1, r), (2, r)) for r in range(1, len(data))],
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("ALIGN", (2, 0), (2, 0), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
        ("BOX", (0, 0), (-1, -1), 0.9, INK),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
        ("LINEABOVE", (0, memo_first - 1), (-1, memo_first - 1), 0.4, RULE),
        *[("LINEBELOW", (1, r), (-1, r), 0.4, RULE) for r in range(memo_first, len(data) - 1)],
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, 0), 4),
        ("BOTTOMPADDING", (0, 0), (-1, 0), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
    ]))
    return table


def build_story(rows: Sequence[RouteRow], council_name: str, day: date, staff_name: str, st) -> list:
    groups = group_by_district(rows)
    story = _title_block(st, council_name, day, staff_name, len(rows), len(groups))
    if not rows:
        story.append(_p(NO_VISITS, st["empty"]))
        return story
    number = 0
    for district, members in groups:
        number += 1
        first = _household_block(st, number, members[0], day)
        # the heading never stands alone at the foot of a page
        story.append(CondPageBreak(45 * mm))
        story.append(KeepTogether([_district_heading(st, district, len(members)), Spacer(0, 2 * mm), first]))
        story.append(Spacer(0, 4 * mm))
        for row in members[1:]:
            number += 1
            story.append(KeepTogether([_household_block(st, number, row, day)]))
            story.append(Spacer(0, 4 * mm))
    return story


# ---- page furniture ------------------------------------------------------------------------

class _NumberedCanvas(Canvas):
    """Holds pages back until the end so each can say "n / m"."""

    def __init__(self, *args, furniture, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []
        self._furniture = furniture

    def showPage(self):  # noqa: N802 - reportlab API
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._furniture(self, number, total)
            super().showPage()
        super().save()


def _furniture(canvas: Canvas, number: int, total: int, *, regular: str, bold: str, heading: str,
               council_name: str) -> None:
    canvas.saveState()
    top = PAGE_H - 12 * mm
    confidential_box(canvas, MARGIN_X, top - 1 * mm, bold, 12)
    canvas.setFont(regular, SMALL_PT)
    canvas.drawRightString(PAGE_W - MARGIN_X, top - 1 * mm, heading)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN_X, top - 5.5 * mm, PAGE_W - MARGIN_X, top - 5.5 * mm)
    # footer: handling notice on two lines; page n / m and the council on the right
    bottom = 9 * mm
    canvas.line(MARGIN_X, bottom + 8.5 * mm, PAGE_W - MARGIN_X, bottom + 8.5 * mm)
    canvas.setFont(regular, SMALL_PT)
    for index, line in enumerate(HANDLING_LINES):
        canvas.drawString(MARGIN_X, bottom + 4 * mm - index * 4.6 * mm, line)
    canvas.setFont(bold, 11)
    canvas.drawRightString(PAGE_W - MARGIN_X, bottom + 3.6 * mm, f"{number} / {total} ページ")
    if council_name:
        canvas.setFont(regular, 9)
        canvas.drawRightString(PAGE_W - MARGIN_X, bottom - 0.6 * mm, council_name)
    canvas.restoreState()


# ---- the document ------------------------------------------------------------------------------

def route_pdf_bytes(council_name: str, day: date, rows: Sequence[RouteRow], staff_name: str = "") -> bytes:
    regular, bold = register_fonts()
    st = _styles(regular, bold)
    heading = f"{TITLE}　{format_wareki(day, weekday=True)}" + (f"　担当：{staff_name}" if staff_name else "")
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, title=f"{TITLE} {format_wareki(day)}", author=council_name,
        subject=CONFIDENTIAL, creator="社協デスク", initialFontName=regular, initialFontSize=BODY_PT,
    )
    canvasmaker = partial(_NumberedCanvas, furniture=partial(
        _furniture, regular=regular, bold=bold, heading=heading, council_name=council_name))
    doc.build(build_story(list(rows), council_name, day, staff_name, st), canvasmaker=canvasmaker)
    return buffer.getvalue()


def write_route_pdf(path: str | Path, council_name: str, day: date, rows: Sequence[RouteRow],
                    staff_name: str = "") -> Path:
    """Write the list to ``path`` atomically (a half-written file never replaces a good one)."""
    path = Path(path)
    data = route_pdf_bytes(council_name, day, rows, staff_name)
    write_atomic(path, data)
    return path


def route_export_detail(path: str | Path, day: date, rows: Sequence[RouteRow]) -> dict:
    """What the audit log keeps about an exported route: file name, day, household ids."""
    return {"file": Path(path).name, "day": day.isoformat(), "households": [r.household_id for r in rows]}
