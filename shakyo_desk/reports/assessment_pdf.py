"""全方位型アセスメント on one A4 sheet (landscape), for a case meeting to lay on the table
(津幡町's one sheet, 焼津市's format that becomes the plan): for the household as a whole and for
each member, every participant's 課題, 強み and 本人の意向 in their own words, with who said it
and when. The text shrinks (down to 7 pt) until it fits one sheet; a case with more to say runs
onto a second sheet, each numbered. 取扱注意 and the handling note are on every sheet.

No Qt, no database: the caller passes the case (``case_views.CaseDetail``) and its members."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shakyo_desk.domain.wareki import format_wareki, format_wareki_short
from shakyo_desk.reports.fonts import register_fonts
from shakyo_desk.reports.paper import INK, confidential_page

TITLE = "全方位型アセスメント"
HANDLING = "個人情報です。会議が終わったら回収し、シュレッダーで処分してください。"
HOUSEHOLD = "世帯全体"
HEADERS = ("対象", "発言した人", "課題", "強み", "本人の意向")
SIZES = (10.5, 9.5, 8.5, 7.5, 7)

PAGE_W, PAGE_H = landscape(A4)
MARGIN_X = 12 * mm
MARGIN_TOP = 20 * mm
MARGIN_BOTTOM = 14 * mm
BODY_W = PAGE_W - 2 * MARGIN_X
WIDTHS = (32 * mm, 46 * mm)  # 対象, 発言した人; the three columns of words share the rest
GRID = colors.HexColor("#6b6b6b")
SHADE = colors.HexColor("#ececec")
GROUP = colors.HexColor("#f6f6f6")


def _targets(detail, members: Sequence) -> list[tuple[str, list]]:
    """(label, views) for the household, then each member in the household's order; only those spoken of."""
    labels = {m.id: getattr(m, "label", m.name) for m in members}
    order = {m.id: i for i, m in enumerate(members)}
    groups: dict[str | None, list] = {}
    for v in detail.assessment:
        groups.setdefault(v.person_id, []).append(v)
    keys = sorted(groups, key=lambda k: (k is not None, order.get(k, len(order))))
    return [(HOUSEHOLD if k is None else labels.get(k, groups[k][0].person or "（世帯員）"),
             sorted(groups[k], key=lambda v: v.recorded_on)) for k in keys]


def _styles(regular: str, bold: str, size: float) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=regular, fontSize=size, leading=size * 1.35, textColor=INK, wordWrap="CJK")
    return {
        "body": base,
        "who": ParagraphStyle("who", parent=base, fontSize=size * 0.92, leading=size * 1.25),
        "head": ParagraphStyle("head", parent=base, fontName=bold),
        "target": ParagraphStyle("target", parent=base, fontName=bold),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=16, leading=20),
        "meta": ParagraphStyle("meta", parent=base, fontSize=10, leading=14),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def _story(detail, members, st, council: str, printed_by: str, today: date) -> list:
    s = detail.summary
    meta = [f"{s.household_name} さんの世帯", f"状況：{s.status}", f"受付：{format_wareki(s.opened_on)}"]
    if s.assignee:
        meta.append(f"担当：{s.assignee}")
    if s.lead_agency:
        meta.append(f"主担当機関：{s.lead_agency}")
    printed = f"{format_wareki(today)} 印刷" + (f"（{printed_by}）" if printed_by else "")
    participants = list(dict.fromkeys(v.participant + (f"（{v.organisation}）" if v.organisation else "")
                                      for v in detail.assessment))
    head = [_p(TITLE, st["title"]), _p("　".join(meta), st["meta"]),
            _p(f"参加した人：{'、'.join(participants)}", st["meta"]),
            _p("　".join(x for x in (council, printed) if x), st["meta"]), Spacer(0, 3 * mm)]
    rest = BODY_W - sum(WIDTHS)
    rows = [[_p(h, st["head"]) for h in HEADERS]]
    styles = [("GRID", (0, 0), (-1, -1), 0.5, GRID), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
              ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 3),
              ("RIGHTPADDING", (0, 0), (-1, -1), 3), ("TOPPADDING", (0, 0), (-1, -1), 2),
              ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
    for label, views in _targets(detail, members):
        first = len(rows)
        for v in views:
            who = v.participant + (f"（{v.organisation}）" if v.organisation else "")
            rows.append([_p(label, st["target"]) if len(rows) == first else "",
                         _p(f"{who}\n{format_wareki_short(v.recorded_on)}", st["who"]),
                         _p(v.problem, st["body"]), _p(v.strength, st["body"]), _p(v.wish, st["body"])])
        # no SPAN: a long group must be able to run onto the next sheet; the target starts its group
        styles += [("BACKGROUND", (0, first), (0, len(rows) - 1), GROUP),
                   ("LINEABOVE", (0, first), (-1, first), 1.2, INK)]
    table = Table(rows, colWidths=[*WIDTHS, rest / 3, rest / 3, rest / 3], repeatRows=1)
    table.setStyle(TableStyle(styles))
    return [*head, table]


def assessment_pdf(detail, members: Sequence = (), *, council: str = "", printed_by: str = "",
                   today: date | None = None) -> bytes:
    """The PDF's bytes: one landscape A4 sheet when the views fit at 7 pt or more."""
    from shakyo_desk.domain import clock

    today = today or clock.today()
    regular, bold = register_fonts()
    data = b""
    for size in SIZES:
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(buffer, pagesize=(PAGE_W, PAGE_H), leftMargin=MARGIN_X, rightMargin=MARGIN_X,
                                topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM, title=TITLE,
                                author=council or "社協デスク")
        draw = confidential_page((PAGE_W, PAGE_H), MARGIN_X, 11 * mm, lambda d: f"{TITLE}　{d.page}ページ",
                                 HANDLING, 7 * mm)
        doc.build(_story(detail, members, _styles(regular, bold, size), council, printed_by, today),
                  onFirstPage=draw, onLaterPages=draw)
        data = buffer.getvalue()
        if doc.page == 1:
            break
    return data
