"""会議資料: the numbered handout printed for a conference (DESIGN §6).

A4 portrait, BIZ UD Gothic embedded. A cover (meeting type and legal basis, date, place,
convenor, agenda, members, the confidentiality notice for a 支援会議), one section per case
and a last page to write the decisions. Every page carries 取扱注意, the meeting and its date,
the copy number and recipient, 会議終了後回収 and page n/m, where m counts the pages of one
copy: with all copies in one file each copy starts again at 1.

The body is laid out once. Each body page becomes a PDF form (XObject), and so does each copy's
header and footer; a page draws the two forms and its page number. Twelve copies cost one
layout, and a file holds the body once however many copies it carries. One file per copy reuses
the same layout (``_share_fonts``).

Copies may differ (issue 18: a member's copy holds only the cases they sit for and may see):
``contents_by_copy`` gives a copy number its own content. Copies with the same content (the same
object) form a group; every group's body is laid out once, all in one layout pass (one font
encoding), and each file holds the bodies of the groups it carries once.

No Qt, no database: the caller passes ``HandoutContent`` that is already minimised; this
module prints exactly what it is given.
"""

import errno
import io
import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from copy import copy as shallow_copy
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak, Flowable, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle,
)

from shakyo_desk.domain import safe_file
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.wareki import format_wareki, format_wareki_short
from shakyo_desk.reports.paper import ALERT, CONFIDENTIAL, INK, confidential_box
from shakyo_desk.reports.fonts import register_fonts
from shakyo_desk.reports.handout_content import CaseSection, Copy, HandoutContent
from shakyo_desk.reports.handout_plan_pdf import case_work_story

COLLECT = "会議終了後回収"
COLLECT_LINE = "会議終了後回収：この資料は持ち帰らず、会議が終わったら事務局へお返しください。"
DECISIONS = "決定事項"
QUESTION = "この会議で検討したいこと"
NONE_TEXT = "（記載なし）"
NOTICE_HEADING = "守秘義務について"

PAGE_W, PAGE_H = A4
MARGIN_X = 15 * mm
MARGIN_TOP = 25 * mm  # room for the two-line running header
MARGIN_BOTTOM = 21 * mm  # room for the running footer
BODY_W = PAGE_W - 2 * MARGIN_X
TEXT_W = BODY_W - 12  # inside the frame's own padding (6 pt a side), where the body text starts
LABEL_W = 26 * mm
WRITE_ROW = 9.5 * mm  # room to write by hand
FOOTER_Y = 8.5 * mm
PAGE_NUMBER_PT = 11
HEADING_ROOM = 28 * mm  # a section heading needs this much below it, or it goes to the next page

BODY_PT = 11
TABLE_PT = 10.5
SMALL_PT = 10
RULE = colors.HexColor("#6b6b6b")
FAINT = colors.HexColor("#a8a8a8")
SHADE = colors.HexColor("#ececec")
STRIPE = colors.HexColor("#f6f6f6")
DARK = colors.HexColor("#3a3a3a")
NOTICE_BG = colors.HexColor("#fdf1f2")
QUESTION_BG = colors.HexColor("#fff4cc")
QUESTION_LINE = colors.HexColor("#b07d00")

_FORBIDDEN_IN_NAMES = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')


# ---- text ------------------------------------------------------------------------------------

def meeting_date_text(content: HandoutContent) -> str:
    text = format_wareki(content.held_on, weekday=True)
    return f"{text}　{content.time_text}" if content.time_text else text


def copy_label(copy: Copy, total: int) -> str:
    """配布番号 3／12　山田 太郎 様"""
    label = f"配布番号 {copy.copy_number}／{total}"
    return f"{label}　{copy.recipient}" if copy.recipient else label


def copy_file_name(content: HandoutContent, copy: Copy) -> str:
    """e.g. 会議資料_R7.6.10_支援会議_配布03_山田太郎様.pdf (safe on Windows and USB sticks)."""
    parts = ["会議資料", format_wareki_short(content.held_on), content.meeting_type,
             f"配布{copy.copy_number:02d}", copy.recipient]
    name = "_".join(_FORBIDDEN_IN_NAMES.sub("", part) for part in parts if part)
    return name[:120] + ".pdf"


def _copies_with_totals(copies: Sequence[Copy]) -> list[tuple[Copy, int]]:
    if not copies:
        raise InvalidInput("配布先が一人もいないため、会議資料を作れません。構成員を登録してください。")
    seen: set[int] = set()
    result = []
    for copy in copies:
        if copy.copy_number < 1:
            raise InvalidInput(f"配布番号は1から始まる番号にしてください（{copy.copy_number}）。")
        if copy.copy_number in seen:
            raise InvalidInput(f"配布番号 {copy.copy_number} が重複しています。番号を振り直してください。")
        seen.add(copy.copy_number)
    default_total = max(len(copies), max(seen))
    for copy in copies:
        total = copy.total or default_total
        if total < copy.copy_number:
            raise InvalidInput(f"配布番号 {copy.copy_number} が配布部数（{total}部）を超えています。番号を振り直してください。")
        result.append((copy, total))
    return result


# ---- styles ----------------------------------------------------------------------------------

def _styles(regular: str, bold: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=regular, fontSize=BODY_PT, leading=BODY_PT * 1.5, textColor=INK,
                          alignment=TA_LEFT, wordWrap="CJK", bulletFontName=regular)
    return {
        "body": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=TABLE_PT, leading=TABLE_PT * 1.4),
        "cell_bold": ParagraphStyle("cell_bold", parent=base, fontName=bold, fontSize=TABLE_PT,
                                    leading=TABLE_PT * 1.4),
        "label": ParagraphStyle("label", parent=base, fontName=bold, fontSize=TABLE_PT, leading=TABLE_PT * 1.4),
        "none": ParagraphStyle("none", parent=base, textColor=RULE),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=5 * mm, bulletIndent=1 * mm, spaceAfter=1),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=20, leading=27),
        "kind": ParagraphStyle("kind", parent=base, fontName=bold, fontSize=13.5, leading=19),
        "h1": ParagraphStyle("h1", parent=base, fontName=bold, fontSize=15, leading=20, textColor=colors.white),
        "h2": ParagraphStyle("h2", parent=base, fontName=bold, fontSize=12.5, leading=17, spaceBefore=3.5 * mm,
                             spaceAfter=1.5 * mm),
        "notice_head": ParagraphStyle("notice_head", parent=base, fontName=bold, fontSize=12.5, leading=17,
                                      textColor=ALERT),
        "notice": ParagraphStyle("notice", parent=base, fontSize=BODY_PT, leading=BODY_PT * 1.55),
        "question_head": ParagraphStyle("question_head", parent=base, fontName=bold, fontSize=12, leading=16,
                                        textColor=QUESTION_LINE),
        "question": ParagraphStyle("question", parent=base, fontName=bold, fontSize=12, leading=12 * 1.55),
        "hint": ParagraphStyle("hint", parent=base, fontSize=SMALL_PT, leading=SMALL_PT * 1.5, textColor=RULE),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _or_none(text: str, st) -> Paragraph:
    return _p(text, st["body"]) if text.strip() else _p(NONE_TEXT, st["none"])


def _bullets(lines: Sequence[str], st) -> list:
    lines = [line for line in lines if line.strip()]
    if not lines:
        return [_p(NONE_TEXT, st["none"])]
    return [Paragraph(escape(line).replace("\n", "<br/>"), st["bullet"], bulletText="・") for line in lines]


def _grid(data: list[list], widths: list[float], st, *, header: bool = True, stripes: bool = True,
          padding: tuple[float, float] = (2.5, 3)) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1 if header else 0, splitByRow=1)
    style = [
        ("FONT", (0, 0), (-1, -1), st["cell"].fontName, TABLE_PT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOX", (0, 0), (-1, -1), 0.8, INK),
        ("INNERGRID", (0, 0), (-1, -1), 0.35, FAINT),
        ("TOPPADDING", (0, 0), (-1, -1), padding[0]),
        ("BOTTOMPADDING", (0, 0), (-1, -1), padding[1]),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), SHADE), ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK)]
        if stripes:
            style.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE]))
    table.setStyle(TableStyle(style))
    return table


def _heading(text: str, st) -> list:
    # Not keepWithNext: that would carry a whole table to the next page and leave a gap; instead
    # start a new page only when the heading and a few lines would not fit.
    return [CondPageBreak(HEADING_ROOM), _p(text, st["h2"])]


# ---- cover -----------------------------------------------------------------------------------

def _cover(content: HandoutContent, st) -> list:
    story: list = [_p(content.title or content.meeting_type, st["title"])]
    kind = content.meeting_type
    if content.legal_basis:
        kind += f"（{content.legal_basis}）"
    story += [Spacer(0, 1 * mm), _p(kind, st["kind"]), Spacer(0, 3 * mm)]

    rows = [("日時", meeting_date_text(content)), ("場所", content.place), ("招集者", content.convenor),
            ("事務局", content.council_name)]
    info = Table([[_p(label, st["label"]), _p(value or "―", st["body"])] for label, value in rows],
                 colWidths=[LABEL_W, TEXT_W - LABEL_W])
    info.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), st["body"].fontName, BODY_PT),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (0, -1), SHADE),
        ("BOX", (0, 0), (-1, -1), 0.8, INK),
        ("INNERGRID", (0, 0), (-1, -1), 0.35, FAINT),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
    ]))
    story.append(info)

    if content.confidentiality_notice is not None:
        story += [Spacer(0, 4 * mm), _notice_box(content.confidentiality_notice, st)]

    story += _heading("協議事項", st)
    agenda = [line for line in content.agenda if line.strip()]
    if agenda:
        story += [Paragraph(escape(line), st["bullet"], bulletText=f"{n}.") for n, line in enumerate(agenda, 1)]
    else:
        story.append(_p(NONE_TEXT, st["none"]))

    story += _heading(f"構成員（{len(content.members)}名）", st)
    if content.members:
        data = [[_p("No.", st["label"]), _p("氏名", st["label"]), _p("所属", st["label"])]]
        data += [[_p(str(n), st["cell"]), _p(m.name, st["cell"]), _p(m.organisation, st["cell"])]
                 for n, m in enumerate(content.members, 1)]
        story.append(_grid(data, [12 * mm, 55 * mm, TEXT_W - 67 * mm], st, padding=(1.5, 2)))
    else:
        story.append(_p(NONE_TEXT, st["none"]))

    if content.cases:
        story += _heading(f"協議するケース（{len(content.cases)}件）", st)
        story.append(_columns([case.label for case in content.cases], st))
    return story


def _columns(lines: Sequence[str], st) -> KeepTogether:
    """A short list in two or three columns, read down each column in turn (keeps the cover to
    one page for a usual meeting); it moves to the next page whole rather than split."""
    count = 3 if len(lines) > 8 else 2
    per_column = -(-len(lines) // count)
    columns = [list(lines[n * per_column:(n + 1) * per_column]) for n in range(count)]
    rows = []
    for index in range(per_column):
        rows.append([Paragraph(escape(column[index]), st["bullet"], bulletText="・") if index < len(column) else ""
                     for column in columns])
    table = Table(rows, colWidths=[TEXT_W / count] * count)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), st["body"].fontName, BODY_PT),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return KeepTogether([table])


def _notice_box(text: str, st) -> Table:
    box = Table([[_p(NOTICE_HEADING, st["notice_head"])], [_p(text, st["notice"])]], colWidths=[TEXT_W])
    box.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), st["body"].fontName, BODY_PT),
        ("BOX", (0, 0), (-1, -1), 1.6, ALERT),
        ("BACKGROUND", (0, 0), (-1, -1), NOTICE_BG),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
        ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, 0), 6),
        ("BOTTOMPADDING", (0, -1), (-1, -1), 7),
    ]))
    return box


# ---- a case ----------------------------------------------------------------------------------

def _case_heading(text: str, st) -> Table:
    table = Table([[_p(text, st["h1"])]], colWidths=[TEXT_W])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), st["body"].fontName, BODY_PT),
        ("BACKGROUND", (0, 0), (-1, -1), DARK),
        ("LEFTPADDING", (0, 0), (-1, -1), 7),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    return table


def _question(text: str, st) -> list:
    # Paragraphs, not a one-cell table, so that even a long question can run onto the next page.
    pad = 3 * mm
    box = ParagraphStyle("question_box", parent=st["question"], backColor=QUESTION_BG, borderColor=QUESTION_LINE,
                         borderWidth=1.4, borderPadding=(pad, pad, pad + 0.5 * mm, pad), leftIndent=pad,
                         rightIndent=pad, spaceBefore=pad + 1 * mm, spaceAfter=pad + 1 * mm)
    heading = ParagraphStyle("question_label", parent=st["question_head"], keepWithNext=1, spaceAfter=0.5 * mm)
    return [Spacer(0, 3 * mm), _p(f"■ {QUESTION}", heading), _p(text or NONE_TEXT, box)]


def _case(case: CaseSection, st) -> list:
    story: list = [_case_heading(case.label, st)]
    story += _question(case.question, st)

    story += _heading("世帯構成", st)
    if case.composition:
        data = [[_p(h, st["label"]) for h in ("続柄", "氏名", "年代", "性別", "特記事項")]]
        data += [[_p(r.relation, st["cell"]), _p(r.name, st["cell"]), _p(r.age_band, st["cell"]),
                  _p(r.sex, st["cell"]), _p("、".join(r.flags), st["cell"])] for r in case.composition]
        story.append(_grid(data, [22 * mm, 34 * mm, 18 * mm, 14 * mm, TEXT_W - 88 * mm], st))
    else:
        story.append(_p(NONE_TEXT, st["none"]))
    if case.facts:
        story.append(Spacer(1, 1.5 * mm))
        story.append(_grid([[_p(label, st["label"]), _p(value, st["cell"])] for label, value in case.facts],
                           [34 * mm, TEXT_W - 34 * mm], st, header=False))

    story += _heading("課題・困りごと", st)
    story += _bullets(case.concerns, st)

    story += _heading("これまでの経過（要約）", st)
    if case.timeline:
        data = [[_p(h, st["label"]) for h in ("日付", "種別", "内容")]]
        data += [[_p(format_wareki_short(e.on), st["cell"]), _p(e.kind, st["cell"]), _p(e.text, st["cell"])]
                 for e in case.timeline]
        story.append(_grid(data, [22 * mm, 24 * mm, TEXT_W - 46 * mm], st))
    else:
        story.append(_p(NONE_TEXT, st["none"]))

    story += _heading("強み", st)
    story += _bullets(case.strengths, st)
    story += _heading("本人の意向", st)
    story.append(_or_none(case.wishes, st))
    # The 支援プラン printed below states the policy in force; an empty policy from the meeting
    # records would only say （記載なし） above it.
    if case.plan or case.case_work is None or not case.case_work.plan_version:
        story += _heading("現在の支援方針", st)
        story.append(_or_none(case.plan, st))

    story += _heading("役割分担（現在）", st)
    if case.roles:
        data = [[_p("機関", st["label"]), _p("役割", st["label"])]]
        data += [[_p(r.agency, st["cell_bold"]), _p(r.role, st["cell"])] for r in case.roles]
        story.append(_grid(data, [58 * mm, TEXT_W - 58 * mm], st))
    else:
        story.append(_p(NONE_TEXT, st["none"]))
    return story + case_work_story(case.case_work, st, TEXT_W)


# ---- the decisions page ------------------------------------------------------------------------

def _date_to_write(st) -> Table:
    """令和＿年＿月＿日（＿） with room between the parts (a Paragraph would squeeze the spaces)."""
    parts = ["令和", "", "年", "", "月", "", "日（", "", "）"]
    widths = [11 * mm, 13 * mm, 7 * mm, 11 * mm, 7 * mm, 11 * mm, 9 * mm, 9 * mm, 6 * mm]
    table = Table([[_p(part, st["body"]) if part else "" for part in parts]], colWidths=widths)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), st["body"].fontName, BODY_PT),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _decisions_page(st) -> list:
    """One page of ruled space: support policy, 主担当, roles (agency | role), next review date."""
    hint = "会議で決まったことを書き留めてください。この用紙も資料と一緒に回収します。"
    story: list = [_case_heading(DECISIONS, st), Spacer(0, 2 * mm), _p(hint, st["hint"]), Spacer(0, 3 * mm)]
    label_w, agency_w = LABEL_W + 4 * mm, 62 * mm
    fixed = [("対象ケース", 1), ("支援方針", 5), ("主担当", 1), ("役割分担", 7), ("次回見直し日", 1)]
    room = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM - 40 * mm  # frame padding, heading, hint, a margin
    other = max(2, int(room / WRITE_ROW) - sum(lines for _, lines in fixed))
    data, heights, style = [], [], []
    for label, lines in [*fixed, ("その他", other)]:
        first = len(data)
        for index in range(lines):
            data.append([_p(label, st["label"]) if index == 0 else "", "", ""])
            heights.append(WRITE_ROW)
        last = first + lines - 1
        if lines > 1:
            style.append(("SPAN", (0, first), (0, last)))
        style.append(("LINEBELOW", (0, last), (-1, last), 0.8, INK))
        style += [("LINEBELOW", (1, r), (-1, r), 0.35, FAINT) for r in range(first, last)]
        if label == "役割分担":  # a small header row, then agency | role
            data[first][1:] = [_p("機関", st["hint"]), _p("役割", st["hint"])]
            heights[first] = 6.5 * mm
            style += [("LINEAFTER", (1, first), (1, last), 0.35, FAINT),
                      ("VALIGN", (1, first), (-1, first), "MIDDLE")]
        else:
            style += [("SPAN", (1, r), (2, r)) for r in range(first, last + 1)]
        if label == "次回見直し日":
            data[first][1] = _date_to_write(st)
    table = Table(data, colWidths=[label_w, agency_w, TEXT_W - label_w - agency_w], rowHeights=heights)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), st["body"].fontName, BODY_PT),
        ("VALIGN", (0, 0), (0, -1), "TOP"),
        ("VALIGN", (1, 0), (-1, -1), "BOTTOM"),
        ("BACKGROUND", (0, 0), (0, -1), SHADE),
        ("BOX", (0, 0), (-1, -1), 0.9, INK),
        ("LINEAFTER", (0, 0), (0, -1), 0.8, INK),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        *style,
    ]))
    story.append(table)
    return story


def build_story(content: HandoutContent, st) -> list:
    story = _cover(content, st)
    for case in content.cases:
        story.append(PageBreak())
        story += _case(case, st)
    story += [PageBreak(), *_decisions_page(st)]
    return story


# ---- page furniture ----------------------------------------------------------------------------

def _fit(text: str, font: str, size: float, width: float, smallest: float = 7.5) -> tuple[str, float]:
    """Shrink the font until the text fits; if even the smallest size does not, cut it with …"""
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.5
    if stringWidth(text, font, size) > width:
        while text and stringWidth(text + "…", font, size) > width:
            text = text[:-1]
        text += "…"
    return text, size


def _copy_marks(canvas: Canvas, label: str, total: int, *, regular: str, bold: str, heading: str,
                council_name: str) -> None:
    """Header and footer of one copy, everything but the page number (drawn once per copy, as a form)."""
    canvas.saveState()
    right = PAGE_W - MARGIN_X
    top = PAGE_H - 12 * mm
    # line 1: [取扱注意] 会議終了後回収 ........ 配布番号 3／12　山田 太郎 様
    box_w = confidential_box(canvas, MARGIN_X, top, bold, 12)
    canvas.setFillColor(ALERT)
    canvas.setFont(bold, 11)
    collect_x = MARGIN_X + box_w + 3 * mm
    canvas.drawString(collect_x, top + 0.2 * mm, COLLECT)
    canvas.setFillColor(INK)
    label_left = collect_x + canvas.stringWidth(COLLECT, bold, 11) + 6 * mm
    text, size = _fit(label, bold, 11.5, right - label_left)
    canvas.setFont(bold, size)
    canvas.drawRightString(right, top + 0.2 * mm, text)
    # line 2: the meeting and its date
    text, size = _fit(heading, regular, 9.5, BODY_W)
    canvas.setFont(regular, size)
    canvas.drawString(MARGIN_X, top - 7.2 * mm, text)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN_X, top - 9.3 * mm, right, top - 9.3 * mm)
    # footer: the collection reminder and the council on the left; the copy on the right under
    # the page number (see _page_number)
    bottom = FOOTER_Y
    canvas.line(MARGIN_X, bottom + 9 * mm, right, bottom + 9 * mm)
    page_w = canvas.stringWidth(_page_text(total, total), bold, PAGE_NUMBER_PT) + 5 * mm
    text, size = _fit(COLLECT_LINE, regular, SMALL_PT, BODY_W - page_w)
    canvas.setFont(regular, size)
    canvas.drawString(MARGIN_X, bottom + 4 * mm, text)
    canvas.setFont(regular, 8.5)
    if council_name:
        canvas.drawString(MARGIN_X, bottom - 0.6 * mm, _fit(council_name, regular, 8.5, BODY_W / 2)[0])
    canvas.drawRightString(right, bottom - 0.6 * mm, _fit(label, regular, 8.5, BODY_W / 2)[0])
    canvas.restoreState()


def _page_text(number: int, total: int) -> str:
    return f"{number} / {total} ページ"


def _page_number(canvas: Canvas, number: int, total: int, bold: str) -> None:
    canvas.setFont(bold, PAGE_NUMBER_PT)
    canvas.setFillColor(INK)
    canvas.drawRightString(PAGE_W - MARGIN_X, FOOTER_Y + 4 * mm, _page_text(number, total))


class _LayoutCanvas(Canvas):
    """Lays the body out once and keeps each page's drawing operations instead of writing them;
    it is never saved. ``_emit`` then turns them into forms in every file it writes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.body_pages: list[list[str]] = []

    def showPage(self):  # noqa: N802 - reportlab API
        # Body pages use plain RGB colours, no transparency, images or links, so the operations
        # alone describe the page (a form carries no other resources than the fonts).
        if self._colorsUsed or self._formsinuse or self._annotationrefs or self._extgstate.getState():
            raise RuntimeError("a handout body page uses resources that a shared form cannot carry")
        self.body_pages.append([self._preamble, *self._code])
        self._startPage()

    def save(self):
        if self._code:
            self.showPage()


@dataclass
class _Layout:
    canvas: _LayoutCanvas  # keeps its document, and so the fonts' encoding of the body, alive
    pages: list[list[str]]
    content: HandoutContent
    regular: str
    bold: str
    group: int = 0  # which of the contents laid out together (names its forms in a file)


class _GroupStart(Flowable):
    """Zero-size mark at the start of a group's body: notes the page it begins on."""

    def __init__(self, starts: list[int]):
        super().__init__()
        self.starts = starts
        self.width = self.height = 0

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self):
        self.starts.append(len(self.canv.body_pages))


def _layout(content: HandoutContent) -> _Layout:
    return _layouts([content])[0]


def _layouts(contents: Sequence[HandoutContent]) -> list[_Layout]:
    """Every content's body, laid out in one pass (one document: one encoding of the fonts),
    each starting on a page of its own."""
    regular, bold = register_fonts()
    doc = SimpleDocTemplate(
        io.BytesIO(), pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, initialFontName=regular, initialFontSize=BODY_PT,
    )
    st = _styles(regular, bold)
    starts: list[int] = []
    story: list = []
    for number, content in enumerate(contents):
        if number:
            story.append(PageBreak())
        story += [_GroupStart(starts), *build_story(content, st)]
    doc.build(story, canvasmaker=_LayoutCanvas)
    canvas = doc.canv
    pages = canvas.body_pages
    if len(starts) != len(contents):
        raise RuntimeError("a handout group's first page was not found")
    ends = starts[1:] + [len(pages)]
    return [_Layout(canvas, pages[start:end], content, regular, bold, group)
            for group, (content, start, end) in enumerate(zip(contents, starts, ends))]


def _share_fonts(source: Canvas, target: Canvas) -> None:
    """Give ``target``'s document the same font subsets and codes as ``source``'s, so the body's
    operations, encoded once for ``source``, read the same in ``target`` (reportlab encodes
    TrueType text per document, in the order characters first appear)."""
    src, dst = source._doc, target._doc
    if dst.fontMapping or dst.delayedFonts or set(src.fontMapping) != {f.fontName for f in src.delayedFonts}:
        raise RuntimeError("handout fonts cannot be shared between documents")
    dst.fontMapping = dict(src.fontMapping)
    for font in src.delayedFonts:
        state = shallow_copy(font.state[src])
        state.assignments = dict(state.assignments)
        state.subsets = [list(subset) for subset in state.subsets]
        font.state[dst] = state
        dst.delayedFonts.append(font)


def _emit(layout: _Layout | None, copies: list[tuple[Copy, int]],
          layouts: Sequence[_Layout] | None = None) -> bytes:
    """One PDF holding the given copies: each body page once as a form, drawn by every copy's
    page under its own header and footer. ``layouts`` (one per copy, from one ``_layouts``
    pass) when copies differ; otherwise every copy draws ``layout``."""
    per_copy = list(layouts) if layouts is not None else [layout] * len(copies)
    first = per_copy[0]
    content = first.content
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, initialFontName=first.regular, initialFontSize=BODY_PT)
    canvas.setTitle(f"{content.title or content.meeting_type} 会議資料")
    canvas.setAuthor(content.council_name)
    canvas.setSubject(CONFIDENTIAL)
    canvas.setCreator("社協デスク")
    _share_fonts(first.canvas, canvas)
    forms: dict[int, list[str]] = {}
    for one in per_copy:
        if one.group in forms:
            continue
        names = forms[one.group] = []
        for number, operations in enumerate(one.pages, start=1):
            form = pdfdoc.PDFFormXObject(lowerx=0, lowery=0, upperx=PAGE_W, uppery=PAGE_H)
            # zlib alone: reportlab's default adds ASCII85, slow in pure Python and a quarter bigger
            form.Contents = pdfdoc.PDFStream(content=pdfdoc.pdfdocEnc("\n".join(operations)),
                                             filters=[pdfdoc.PDFZCompress])
            names.append(f"HandoutBody{one.group}x{number}" if one.group else f"HandoutBody{number}")
            canvas._doc.addForm(names[-1], form)
    heading = f"{content.title or content.meeting_type}　{meeting_date_text(content)}"
    for (copy, copies_total), one in zip(copies, per_copy):
        names = forms[one.group]
        total = len(names)
        marks = f"HandoutMarks{copy.copy_number}"
        canvas.beginForm(marks)
        _copy_marks(canvas, copy_label(copy, copies_total), total, regular=one.regular, bold=one.bold,
                    heading=heading, council_name=content.council_name)
        canvas.endForm()
        for number, name in enumerate(names, start=1):
            canvas.doForm(name)
            canvas.doForm(marks)
            _page_number(canvas, number, total, one.bold)
            canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# ---- the document --------------------------------------------------------------------------------

def _copy_layouts(content: HandoutContent, numbered: list[tuple[Copy, int]],
                  contents_by_copy: Mapping[int, HandoutContent] | None) -> list[_Layout]:
    """The layout each copy draws: copies given the same content object share one group."""
    chosen = [(contents_by_copy or {}).get(copy.copy_number, content) for copy, _ in numbered]
    groups: dict[int, int] = {}
    distinct: list[HandoutContent] = []
    for one in chosen:
        if id(one) not in groups:
            groups[id(one)] = len(distinct)
            distinct.append(one)
    laid = _layouts(distinct)
    return [laid[groups[id(one)]] for one in chosen]


def handout_pdf_bytes(content: HandoutContent, copies: Sequence[Copy], *,
                      contents_by_copy: Mapping[int, HandoutContent] | None = None) -> bytes:
    """All the given copies, one after the other, as one PDF (also what a preview shows).
    ``contents_by_copy``: a copy number's own content (its cases), when copies differ."""
    numbered = _copies_with_totals(copies)
    if not contents_by_copy:
        return _emit(_layout(content), numbered)
    return _emit(None, numbered, _copy_layouts(content, numbered, contents_by_copy))


def render_handout(content: HandoutContent, copies: Sequence[Copy], out: str | Path | BinaryIO, *,
                   before_rename: Callable[[], None] | None = None,
                   contents_by_copy: Mapping[int, HandoutContent] | None = None) -> Path | None:
    """All copies in one PDF, written to ``out`` (a file path, replaced atomically, or an open
    binary stream). Returns the path when given one. ``before_rename`` runs once the file is
    complete under its temporary name (registering the copies): if it raises, nothing is left."""
    data = handout_pdf_bytes(content, copies, contents_by_copy=contents_by_copy)
    if hasattr(out, "write"):
        if before_rename:
            before_rename()
        out.write(data)
        return None
    path = Path(out)
    _write_files([(path, data)], before_rename)
    return path


def render_copies_separately(content: HandoutContent, copies: Sequence[Copy], folder: str | Path,
                             name: Callable[[HandoutContent, Copy], str] = copy_file_name, *,
                             before_rename: Callable[[], None] | None = None,
                             contents_by_copy: Mapping[int, HandoutContent] | None = None) -> list[Path]:
    """One PDF per copy in ``folder`` (named by ``name``), laid out once. Every file is written
    under a temporary name first and renamed only when all are complete; on an error the
    temporary files are removed, so no half-written PDF is left behind."""
    numbered = _copies_with_totals(copies)
    folder = Path(folder)
    _check_folder(folder)
    paths = [folder / name(content, copy) for copy, _ in numbered]
    if len({path.name for path in paths}) != len(paths):
        raise InvalidInput("配布先のファイル名が重複しています。配布番号を確かめてください。")
    if contents_by_copy:
        layouts = _copy_layouts(content, numbered, contents_by_copy)
        files = [(path, _emit(None, [one], [laid])) for path, one, laid in zip(paths, numbered, layouts)]
    else:
        layout = _layout(content)
        files = [(path, _emit(layout, [one])) for path, one in zip(paths, numbered)]
    _write_files(files, before_rename)
    return paths


# ---- safe writing --------------------------------------------------------------------------------

def _write_error(error: OSError, folder: Path) -> InvalidInput:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return InvalidInput("保存先に空きがないため、会議資料を保存できませんでした。空きのある場所を選んでください。")
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return InvalidInput(f"保存先のフォルダに書き込めないため、会議資料を保存できませんでした。"
                            f"フォルダの権限や USBメモリのロックを確かめてください。（{folder}）")
    return InvalidInput(f"会議資料を保存できませんでした（{error.strerror or error}）。保存先を確かめてください。"
                        f"（{folder}）")


def _check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise InvalidInput(f"保存先のフォルダが見つかりません。フォルダを選び直してください。（{folder}）")


def _write_files(files: list[tuple[Path, bytes]], before_rename: Callable[[], None] | None = None) -> None:
    """Write each file under a temporary name in its folder (``safe_file``: 0600, fsync), run
    ``before_rename``, then rename them all into place. Any failure before the renames removes
    the temporary files, so no half-written PDF is ever left behind."""
    try:
        with ExitStack() as stack:
            staged = []
            for path, data in files:
                _check_folder(path.parent)
                one = stack.enter_context(safe_file.stage(path, prefix=".handout-"))
                one.write(data)
                one.finish()
                staged.append(one)
            if before_rename:
                before_rename()
            for one in staged:
                one.commit()
    except OSError as error:
        raise _write_error(error, files[0][0].parent) from error
