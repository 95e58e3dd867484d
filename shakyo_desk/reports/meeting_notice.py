"""開催通知（レジュメ）: a one-page A4 notice of a recorded meeting for its members (issue 18).

What it says: the meeting (its type, its name, the existing body it is held as, and for a
支援会議 its legal basis), the date in 和暦 with the weekday, the time, the place, the convenor,
and the 議題 — how many cases will be discussed, never whose (names only at the meeting, on
the handout), a 地域資源 topic, and the agenda as recorded with any name of a discussed
household's member masked. Then a boxed 「守秘義務について」, as MHLW's explanation of the
支援会議 asks (野洲市: 「会議の通知及び会議で配布するレジュメには…守秘義務等の留意点を記載し注意を
促している」):

- a 支援会議 (社会福祉法第106条の6, or 生活困窮者自立支援法第9条): information is shared without
  the person's consent *because* every member has a duty of confidentiality; the council's
  own wording of that duty and its penalty (settings ``confidentiality_notice``, by default
  第106条の6第5項 and 「1年以下の拘禁刑又は100万円以下の罰金」 — the MHLW text predates the 2025
  reform that replaced 懲役 with 拘禁刑); tax information is not brought without consent
  (地方税法第22条, as the explanation notes);
- a 重層的支援会議: only cases with the person's consent, used within what was consented;
- any meeting: the duty lasts after membership ends, materials are 取扱注意 and collected after
  the meeting, no copies or photographs.

No Qt. Reads the store (the conference without logging a view: the notice names no
household); ``notice_pdf_bytes`` renders a ``NoticeContent`` and touches nothing else."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shakyo_desk.domain import clock
from shakyo_desk.domain.vocab import MULTI_AGENCY_CONFERENCE, SUPPORT_CONFERENCE
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.reports.fonts import register_fonts
from shakyo_desk.reports.paper import ALERT, INK, confidential_page

TITLE = "開催通知"
HEADING = "守秘義務について"
MASK = "○○"
ADDRESSEE = "構成員 各位"
FOOTER = "この通知には、検討する世帯の名前を載せていません。世帯の資料は会議の場でお配りし、終了後に回収します。"
SIZES = (10.5, 9.5, 8.5, 7.5)
AGENDA_LIMIT = 1500  # characters of the recorded agenda printed (one page)

PAGE_W, PAGE_H = A4
MARGIN_X = 20 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 18 * mm
BODY_W = PAGE_W - 2 * MARGIN_X
GRID = colors.HexColor("#6b6b6b")
SHADE = colors.HexColor("#ececec")
BOX_FILL = colors.HexColor("#fff6f6")

SUPPORT_POINTS = (
    "この会議は{basis}に基づく支援会議です。構成員に守秘義務がかけられていることを前提に、"
    "本人の同意がなくても、支援が届いていない方の情報を構成員の間で共有します。",
)
TAX_POINT = "税務情報（地方税法第22条）など、特に厳しい守秘義務のある情報は、本人の同意なく持ち寄らないでください。"
MULTI_AGENCY_POINTS = (
    "この会議は重層的支援会議です。本人の同意を得たケースについて、支援プランを共有し、その適切性を話し合います。",
    "会議で共有する情報は、本人が同意した範囲と機関に限られます。同意の範囲を超えて使わないでください。",
    "構成員の皆さまは、それぞれの法令や職務上の守秘義務に従って、会議で知った情報を取り扱ってください。",
)
OTHER_POINTS = (
    "会議では個人の情報を取り扱います。構成員の皆さまは、それぞれの法令や職務上の守秘義務に従ってください。",
)
AFTERWARDS = "会議で知った秘密は、会議の外で話さないでください。構成員でなくなった後も同じです。"
MATERIALS = "会議の資料は「取扱注意」です。会議の終了後にすべて回収します。"
NO_COPIES = "資料の複写・撮影・持ち出しはしないでください。メモを取るときも、世帯が分かる書き方は避けてください。"


@dataclass(frozen=True)
class NoticeContent:
    council: str
    issued_on: date
    meeting_name: str  # 支援会議（地域ケア会議として開催） …
    type_label: str
    legal_basis: str  # 社会福祉法第106条の6 … ("" unless a 支援会議)
    held_on: date
    time_text: str  # 14:00〜15:30 or ""
    place: str
    convenor: str
    agenda: tuple[str, ...]  # the 議題, one item a line
    points: tuple[str, ...]  # the confidentiality box


# ---- what it says ---------------------------------------------------------------------------

def _names(store, household_ids) -> list[str]:
    """Every way a discussed household's member may be written: full name (with and without the
    space), family name, kana; longest first so that a full name is masked before its part."""
    from shakyo_desk.store.services.households import get_household

    found: set[str] = set()
    for household_id in household_ids:
        detail = get_household(store, household_id, log=False)
        for member in detail.members:
            for text in (member.name, getattr(member, "kana", "")):
                text = (text or "").strip()
                if not text:
                    continue
                parts = text.split()
                found.update({text, "".join(parts)})
                if len(parts) > 1 and len(parts[0]) >= 2:
                    found.add(parts[0])  # the family name alone: 「山田さん宅」
    return sorted(found, key=len, reverse=True)


def mask_names(text: str, names) -> str:
    for name in names:
        text = text.replace(name, MASK)
    return text


def _agenda(detail, names) -> tuple[str, ...]:
    items = []
    topic = (getattr(detail, "topic", "") or "").strip()
    count = len(detail.cases)
    if count:
        items.append(f"個別ケースの検討（{count}件）　※世帯の名前は会議の場でお知らせします。")
    if topic:
        items.append(f"地域資源の検討：{mask_names(topic, names)}")
    recorded = (detail.agenda or "").strip()
    if len(recorded) > AGENDA_LIMIT:
        recorded = recorded[:AGENDA_LIMIT - 1] + "…"
    for line in recorded.splitlines():
        line = re.sub(r"^\s*(?:[・\-*●○]|\d+[.．)）])\s*", "", line).strip()
        if line:
            items.append(mask_names(line, names))
    if not items:
        items.append("当日お知らせします。")
    return tuple(items)


def _points(detail, notice_text: str) -> tuple[str, ...]:
    if detail.meeting_type == SUPPORT_CONFERENCE:
        basis = detail.legal_basis_label or "社会福祉法第106条の6"
        points = [p.format(basis=basis) for p in SUPPORT_POINTS]
        points.append(notice_text.strip())  # the council's wording: the member's duty and its penalty
        points.append(TAX_POINT)
    elif detail.meeting_type == MULTI_AGENCY_CONFERENCE:
        points = list(MULTI_AGENCY_POINTS)
    else:
        points = list(OTHER_POINTS)
    said = " ".join(points)
    points.append(AFTERWARDS)
    if "回収" not in said:
        points.append(MATERIALS)
    if "複写" not in said and "撮影" not in said:
        points.append(NO_COPIES)
    else:
        points.append("メモを取るときも、世帯が分かる書き方は避けてください。")
    return tuple(p for p in points if p)


def meeting_name(detail) -> str:
    name = detail.type_label
    title = (detail.title or "").strip()
    if title and title != detail.type_label:
        name = f"{title}（{detail.type_label}）"
    body = (getattr(detail, "body", "") or "").strip()
    if body:
        name += f"　※{body}として開催"
    return name


def notice_content(store, conference_id: str, *, today: date | None = None) -> NoticeContent:
    from shakyo_desk.store.services.conferences import get_conference
    from shakyo_desk.store.services.council import get_settings

    detail = get_conference(store, conference_id, log=False)
    settings = get_settings(store)
    names = _names(store, {c.household_id for c in detail.cases})
    return NoticeContent(
        council=settings.name, issued_on=today or clock.today(), meeting_name=meeting_name(detail),
        type_label=detail.type_label,
        legal_basis=detail.legal_basis_label if detail.meeting_type == SUPPORT_CONFERENCE else "",
        held_on=detail.held_on, time_text=detail.time_text, place=mask_names(detail.place or "", names),
        convenor=detail.convenor or "", agenda=_agenda(detail, names),
        points=_points(detail, settings.confidentiality_notice))


# ---- paper -----------------------------------------------------------------------------------

def _styles(regular: str, bold: str, size: float) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=regular, fontSize=size, leading=size * 1.55, textColor=INK,
                          wordWrap="CJK")
    return {
        "body": base,
        "right": ParagraphStyle("right", parent=base, alignment=2),
        "centre": ParagraphStyle("centre", parent=base, alignment=1),
        "label": ParagraphStyle("label", parent=base, fontName=bold),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=size * 1.55, leading=size * 2.1,
                                alignment=1),
        "heading": ParagraphStyle("heading", parent=base, fontName=bold, fontSize=size * 1.1, textColor=ALERT),
        "point": ParagraphStyle("point", parent=base, leftIndent=size * 1.2, firstLineIndent=-size * 1.2),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def _when(content: NoticeContent) -> str:
    day = format_wareki(content.held_on, weekday=True)
    return f"{day}　{content.time_text}" if content.time_text else day


def _story(content: NoticeContent, st: dict) -> list:
    sender = content.council + (f"\n招集者　{content.convenor}" if content.convenor else "")
    story = [
        _p(format_wareki(content.issued_on), st["right"]),
        _p(ADDRESSEE, st["body"]),
        _p(sender, st["right"]),
        Spacer(0, 4 * mm),
        _p(f"{content.type_label}の開催について（通知）", st["title"]),
        Spacer(0, 3 * mm),
        _p("下記のとおり会議を開催しますので、ご出席くださいますようお願いいたします。", st["body"]),
        Spacer(0, 2 * mm),
        _p("記", st["centre"]),
        Spacer(0, 2 * mm),
    ]
    name = content.meeting_name + (f"\n（{content.legal_basis}に基づく会議）" if content.legal_basis else "")
    agenda = "\n".join(f"{i}．{item}" for i, item in enumerate(content.agenda, start=1))
    rows = [("会議名", name), ("日時", _when(content)), ("場所", content.place or "追ってお知らせします。"),
            ("招集者", content.convenor or content.council), ("議題", agenda)]
    table = Table([[_p(label, st["label"]), _p(value, st["body"])] for label, value in rows],
                  colWidths=[26 * mm, BODY_W - 26 * mm])
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, GRID), ("BACKGROUND", (0, 0), (0, -1), SHADE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5), ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
    box_body = [_p(f"■ {HEADING}", st["heading"]), Spacer(0, 1.5 * mm)]
    box_body += [_p(f"・{point}", st["point"]) for point in content.points]
    box = Table([[box_body]], colWidths=[BODY_W])
    box.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 1.4, ALERT), ("BACKGROUND", (0, 0), (-1, -1), BOX_FILL),
        ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))
    story += [table, Spacer(0, 6 * mm), KeepTogether([box]), Spacer(0, 4 * mm), _p("以上", st["right"])]
    return story


def notice_pdf_bytes(content: NoticeContent) -> bytes:
    """One A4 page: the text shrinks (down to 7.5 pt) until it fits."""
    regular, bold = register_fonts()
    data = b""
    for size in SIZES:
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X,
                                topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM,
                                title=f"{content.type_label} {TITLE}", author=content.council or "社協デスク")
        draw = confidential_page(A4, MARGIN_X, 12 * mm, lambda _doc: f"{content.type_label}　{TITLE}",
                                 FOOTER, 10 * mm, 8.5)
        doc.build(_story(content, _styles(regular, bold, size)), onFirstPage=draw, onLaterPages=draw)
        data = buffer.getvalue()
        if doc.page == 1:
            break
    return data


def meeting_notice_pdf(store, conference_id: str, *, today: date | None = None) -> bytes:
    """The notice of the recorded meeting ``conference_id`` (coordinators and admins, as the
    会議 page; refused as reading the conference is)."""
    return notice_pdf_bytes(notice_content(store, conference_id, today=today))


def default_file_name(content_or_detail) -> str:
    from shakyo_desk.domain.wareki import format_wareki_short

    stamp = format_wareki_short(content_or_detail.held_on).replace(".", "-")
    return f"開催通知_{content_or_detail.type_label}_{stamp}.pdf"
