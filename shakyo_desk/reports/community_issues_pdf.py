"""地域課題の一覧 on A4 (portrait), for the 地域福祉活動計画's evaluation with the town and for the
協議体: each issue with its status, district, how many cases, 地域活動 and missing resources show
it, the activities that raised it (date and type) and what the council and the town do about it.
It names no household (cases and resources are only counted), so it is marked 内部資料, not 取扱注意.

``load_register(store)`` gathers what the account may see; ``community_issues_pdf`` only draws."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shakyo_desk.domain.vocab import COMMUNITY_ISSUE_STATUSES
from shakyo_desk.domain.wareki import fiscal_year, format_fiscal_year, format_wareki, format_wareki_short
from shakyo_desk.reports.fonts import register_fonts
from shakyo_desk.reports.paper import ALERT, INK

TITLE = "地域課題の一覧"
MARK = "内部資料"
PURPOSE = "地域福祉活動計画の評価・協議体の資料"
# What is being done first, then what is being weighed, then what is only known; the solved last.
ORDER = {"取組中": 0, "検討中": 1, "把握": 2, "解消": 3}

PAGE_W, PAGE_H = A4
MARGIN_X = 16 * mm
GRID = colors.HexColor("#6b6b6b")
SHADE = colors.HexColor("#ececec")


@dataclass(frozen=True)
class Entry:
    """One issue as printed: the register's line and the activities that raised it."""

    issue: object  # community_issues.IssueInfo
    activities: tuple  # community_issues.ActivityEvidence, oldest first


def load_register(store) -> list[Entry]:
    """Every issue of the register with the activities this account may see (in the worker)."""
    from shakyo_desk.store.services.community_issues import issue_evidence, list_issues

    return [Entry(i, issue_evidence(store, i.id).activities) for i in list_issues(store)]


def export_detail(file_name: str, entries: Sequence[Entry]) -> dict:
    """What the audit keeps of a printed register: the file and the issues' ids."""
    return {"file": file_name, "issues": [e.issue.id for e in entries]}


def evidence_text(issue) -> str:
    return f"ケース {issue.case_count}件・地域活動 {issue.activity_count}件・不足資源 {issue.resource_count}件"


def _sorted(entries: Sequence[Entry]) -> list[Entry]:
    def key(e: Entry):
        i = e.issue
        return (ORDER.get(i.status, len(ORDER)), -(i.case_count + i.activity_count + i.resource_count), i.title)
    return sorted(entries, key=key)


def _styles(regular: str, bold: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13.5, textColor=INK, wordWrap="CJK")
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=12),
        "head": ParagraphStyle("head", parent=base, fontName=bold),
        "issue": ParagraphStyle("issue", parent=base, fontName=bold, fontSize=11.5, leading=15),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=17, leading=22),
        "meta": ParagraphStyle("meta", parent=base, fontSize=10, leading=14),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def _summary(entries: Sequence[Entry], st) -> Table:
    counts = {s: 0 for s in COMMUNITY_ISSUE_STATUSES}
    for e in entries:
        counts[e.issue.status] = counts.get(e.issue.status, 0) + 1
    rows = [[_p("状況", st["head"]), *(_p(s, st["head"]) for s in counts), _p("計", st["head"])],
            [_p("件数", st["body"]), *(_p(f"{n}件", st["body"]) for n in counts.values()),
             _p(f"{len(entries)}件", st["body"])]]
    table = Table(rows, hAlign="LEFT", colWidths=[22 * mm] * (len(counts) + 2))
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, GRID), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                               ("ALIGN", (1, 0), (-1, -1), "CENTER")]))
    return table


def _issue(number: int, entry: Entry, st) -> KeepTogether:
    i = entry.issue
    head = f"{number}．{i.title}"
    facts = [("状況", f"{i.status}　（地区：{i.district or '指定なし'}　把握した日：{format_wareki(i.raised_on)}）"),
             ("根拠", evidence_text(i))]
    raised = "\n".join(f"{format_wareki_short(a.held_on)}　{a.activity_type}　{a.title}"
                       + (f"（{a.district}）" if a.district else "") for a in entry.activities) or "―"
    rows = [[_p(k, st["head"]), _p(v, st["body"])] for k, v in facts]
    rows.append([_p("挙がった地域活動", st["head"]), _p(raised, st["small"])])
    rows.append([_p("社協と町の取り組み", st["head"]), _p(i.response or "（まだ書かれていません）", st["body"])])
    if i.note:
        rows.append([_p("メモ", st["head"]), _p(i.note, st["small"])])
    table = Table(rows, colWidths=[38 * mm, PAGE_W - 2 * MARGIN_X - 38 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, GRID), ("BACKGROUND", (0, 0), (0, -1), SHADE),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 2),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
    return KeepTogether([_p(head, st["issue"]), Spacer(0, 1.5 * mm), table, Spacer(0, 5 * mm)])


def _page(regular: str, bold: str):
    def draw(canvas, doc) -> None:
        canvas.saveState()
        top = PAGE_H - 11 * mm
        size = 11
        pad = 2.5 * mm
        width = canvas.stringWidth(MARK, bold, size) + 2 * pad
        canvas.setStrokeColor(ALERT)
        canvas.setFillColor(ALERT)
        canvas.setLineWidth(1)
        canvas.rect(MARGIN_X, top - 2.3 * mm, width, 7 * mm, stroke=1, fill=0)
        canvas.setFont(bold, size)
        canvas.drawString(MARGIN_X + pad, top, MARK)
        canvas.setFillColor(INK)
        canvas.setFont(regular, 9)
        canvas.drawRightString(PAGE_W - MARGIN_X, top, f"{TITLE}　{doc.page}ページ")
        canvas.drawCentredString(PAGE_W / 2, 8 * mm, "個人が特定される情報は載せていません（ケースと不足資源は件数のみ）。")
        canvas.restoreState()
    return draw


def community_issues_pdf(entries: Sequence[Entry], *, council: str = "", printed_by: str = "",
                         today: date | None = None, start_month: int = 4) -> bytes:
    """The PDF's bytes: a count by status, then each issue (the ones being worked on first)."""
    from shakyo_desk.domain import clock

    today = today or clock.today()
    regular, bold = register_fonts()
    st = _styles(regular, bold)
    year = format_fiscal_year(fiscal_year(today, start_month), start_month)
    printed = f"{format_wareki(today)} 現在" + (f"（{printed_by} 印刷）" if printed_by else "")
    story = [_p(f"{year}　{TITLE}", st["title"]),
             _p("　".join(x for x in (council, PURPOSE) if x), st["meta"]), _p(printed, st["meta"]),
             Spacer(0, 4 * mm), _summary(entries, st), Spacer(0, 6 * mm)]
    if not entries:
        story.append(_p("地域課題はまだ登録されていません。", st["body"]))
    story += [_issue(n, e, st) for n, e in enumerate(_sorted(entries), start=1)]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=20 * mm,
                            bottomMargin=16 * mm, title=f"{year} {TITLE}", author=council or "社協デスク")
    draw = _page(regular, bold)
    doc.build(story, onFirstPage=draw, onLaterPages=draw)
    return buffer.getvalue()


def export_register(store, path, *, council: str = "", start_month: int = 4, today: date | None = None):
    """Write the register the account may see to ``path`` (whole or not at all) and audit it as
    ``community_issues_pdf``; returns (the path written, how many issues)."""
    from pathlib import Path

    from shakyo_desk.domain.safe_file import write_atomic
    from shakyo_desk.store.services.exports import log_export

    entries = load_register(store)
    data = community_issues_pdf(entries, council=council, printed_by=store.actor.display_name, today=today,
                                start_month=start_month)
    written = write_atomic(Path(path), data)
    log_export(store, "community_issues_pdf", export_detail(Path(path).name, entries))
    return written, len(entries)
