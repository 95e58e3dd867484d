"""支え合いマップ on paper for a 地域懇談会: A3 landscape (A4 on request), one page with the
map, its 集落, a legend and the counts; with names, a numbered list of the households follows
on the side and on further pages. Minimised unless the map was built with names
(``store.services.support_map``). Drawn with reportlab from ``map_layout`` (the screen uses the
same layout) in the app's font; written atomically and logged as ``support_map_pdf.export``."""

from __future__ import annotations

import io
from collections.abc import Hashable
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A3, A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from shakyo_desk.domain.safe_file import write_atomic
from shakyo_desk.domain.vocab import SUPPORTER_KINDS, TIE_KINDS
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.reports import map_style as style
from shakyo_desk.reports.fonts import register_fonts
from shakyo_desk.reports.map_layout import Layout, layout
from shakyo_desk.reports.paper import ALERT, CONFIDENTIAL, INK, confidential_box
from shakyo_desk.store.services.support_map import KIND_LETTERS, SupportMap, counts_text

TITLE = "支え合いマップ"
PAPERS = {"A3": landscape(A3), "A4": landscape(A4)}
HANDLING = "個人情報を含みます。懇談会の後は回収し、事務局でシュレッダーにかけてください。"
MARGIN = 10 * mm
SIDE_W = {"A3": 92 * mm, "A4": 72 * mm}


def map_graph(m: SupportMap) -> tuple[list[tuple[Hashable, Hashable]], list[tuple[Hashable, Hashable]]]:
    """The nodes (with their 集落) and edges the layout places: ("h", id) and ("s", key)."""
    nodes = [(("h", h.id), h.area_id) for h in m.households] + [(("s", s.key), s.area_id) for s in m.supporters]
    edges = [(("h", t.household_id), ("s", t.supporter)) for t in m.ties]
    return nodes, edges


def map_layout(m: SupportMap) -> Layout:
    nodes, edges = map_graph(m)
    return layout(nodes, edges)


def support_map_pdf_bytes(m: SupportMap, council_name: str, paper: str = "A3", placed: Layout | None = None) -> bytes:
    if paper not in PAPERS:
        from shakyo_desk.domain.errors import InvalidInput

        raise InvalidInput("用紙は A3 か A4 を選んでください。")
    regular, bold = register_fonts()
    placed = placed or map_layout(m)
    width, height = PAPERS[paper]
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=(width, height))
    c.setTitle(f"{TITLE} {m.district} {format_wareki(m.today)}")
    c.setAuthor(council_name)
    c.setSubject(CONFIDENTIAL)
    c.setCreator("社協デスク")
    side_w = SIDE_W[paper]
    top = _header(c, m, council_name, width, height, regular, bold)
    area = (MARGIN, MARGIN + 6 * mm, width - 2 * MARGIN - side_w - 5 * mm, top - MARGIN - 8 * mm)
    _draw_map(c, m, placed, area, regular, bold)
    x = width - MARGIN - side_w
    y = _legend(c, m, x, top - 4 * mm, side_w, regular, bold)
    _footer(c, council_name, width, regular, 1)
    page = 1
    if m.names:
        page = _household_list(c, m, x, y - 4 * mm, side_w, width, height, council_name, regular, bold)
    _area_pages(c, m, placed, council_name, paper, page, regular, bold)
    c.save()
    return buffer.getvalue()


def _area_pages(c: Canvas, m: SupportMap, placed: Layout, council_name: str, paper: str, page: int,
                regular: str, bold: str) -> None:
    """Then one page per 集落 (when the map has two or more), the same picture zoomed to it: a
    district's whole map is for the office wall, a 懇談会 is held in one 集落 and must read it."""
    shown = [a for a in m.areas if a.id in placed.areas and any(h.area_id == a.id for h in m.households)]
    if len(shown) < 2:
        return
    width, height = PAPERS[paper]
    side_w = SIDE_W[paper]
    for a in shown:
        c.showPage()
        page += 1
        mine = [h for h in m.households if h.area_id == a.id]
        note = f"この集落：世帯 {len(mine)}・つながりなし {sum(1 for h in mine if h.untied)}"
        top = _header(c, m, council_name, width, height, regular, bold, part=a.name, counts=note)
        points = [placed.positions[("h", h.id)] for h in mine]
        points += [placed.positions[("s", s.key)] for s in m.supporters if s.area_id == a.id]
        pad = placed.node_radius * 3
        left, top_y = min(p[0] for p in points) - pad, min(p[1] for p in points) - pad
        view = (left, top_y, max(p[0] for p in points) + pad - left, max(p[1] for p in points) + pad - top_y)
        area = (MARGIN, MARGIN + 6 * mm, width - 2 * MARGIN - side_w - 5 * mm, top - MARGIN - 8 * mm)
        _draw_map(c, m, placed, area, regular, bold, view=view)
        _legend(c, m, width - MARGIN - side_w, top - 4 * mm, side_w, regular, bold)
        _footer(c, council_name, width, regular, page)


def _header(c: Canvas, m: SupportMap, council_name: str, width: float, height: float, regular: str, bold: str,
            part: str = "", counts: str = "") -> float:
    baseline = height - MARGIN - 7 * mm
    c.setFillColor(INK)
    c.setFont(bold, 20)
    title = f"{TITLE}　{m.district}" + (f"・{part}" if part else "")
    c.drawString(MARGIN, baseline, title)
    x = MARGIN + c.stringWidth(title, bold, 20) + 6 * mm
    c.setFont(regular, 12)
    when = f"{format_wareki(m.today)}現在"
    c.drawString(x, baseline, when)
    x += c.stringWidth(when, regular, 12) + 6 * mm
    confidential_box(c, x, baseline, bold, 12)
    c.setFont(regular, 9)
    c.drawRightString(width - MARGIN, baseline, council_name)
    c.setFillColor(ALERT)
    c.drawString(MARGIN, baseline - 6 * mm, HANDLING)
    c.setFillColor(INK)
    c.drawString(MARGIN, baseline - 11 * mm, counts or counts_text(m))
    return baseline - 13 * mm


def _footer(c: Canvas, council_name: str, width: float, regular: str, page: int) -> None:
    c.setFont(regular, 8)
    c.setFillColor(INK)
    c.drawString(MARGIN, MARGIN - 3 * mm, f"{CONFIDENTIAL}　{HANDLING}")
    c.drawRightString(width - MARGIN, MARGIN - 3 * mm, f"{council_name}　{page}ページ")


def _draw_map(c: Canvas, m: SupportMap, placed: Layout, area, regular: str, bold: str, view=None) -> None:
    """The map into ``area`` (left, bottom, width, height on the page); ``view`` (x, y, width,
    height in the layout's units) the part of it to show, the whole by default."""
    left, bottom, w, h = area
    vx, vy, vw, vh = view or (0.0, 0.0, placed.width or 1, placed.height or 1)
    scale = min(w / vw, h / vh)
    ox = left + (w - vw * scale) / 2 - vx * scale
    oy = bottom + h - (h - vh * scale) / 2 + vy * scale  # y grows downwards in the layout
    c.saveState()
    frame = c.beginPath()
    frame.rect(left, bottom, w, h)
    c.clipPath(frame, stroke=0, fill=0)

    def at(point) -> tuple[float, float]:
        return ox + point[0] * scale, oy - point[1] * scale

    names = {a.id: a.name for a in m.areas}
    c.setLineWidth(0.6)
    for area_id, (x, y, r) in placed.areas.items():
        cx, cy = at((x, y))
        c.setStrokeColor(colors.HexColor(style.AREA_COLOUR))
        c.setDash(2, 2)
        c.circle(cx, cy, r * scale, stroke=1, fill=0)
        c.setDash()
        c.setFillColor(INK)
        c.setFont(bold, 10)
        c.drawCentredString(cx, cy + r * scale + 1.5 * mm, names.get(area_id, ""))
    radius = placed.node_radius * scale
    pos = placed.positions
    for tie in m.ties:
        colour, dash = style.TIE_STYLES.get(tie.kind, style.TIE_STYLES["その他"])
        (x1, y1), (x2, y2) = at(pos[("h", tie.household_id)]), at(pos[("s", tie.supporter)])
        width = max(0.35, radius * 0.22)
        c.setLineWidth(width)
        c.setStrokeColor(colors.HexColor(style.STALE_COLOUR if tie.stale else colour))
        c.setDash([d * width for d in dash]) if dash else c.setDash()
        c.line(x1, y1, x2, y2)
        if tie.stale:
            c.setDash()
            c.setFillColor(colors.white)
            c.circle((x1 + x2) / 2, (y1 + y2) / 2, radius * 0.35, stroke=1, fill=1)
    c.setDash()
    label_pt = max(3.0, min(9.0, radius / mm * 2.2))
    for h in m.households:
        x, y = at(pos[("h", h.id)])
        c.setFillColor(colors.HexColor(style.HOUSEHOLD_FILL))
        c.setStrokeColor(INK)
        c.setLineWidth(0.5)
        c.circle(x, y, radius, stroke=1, fill=1)
        if h.untied:
            c.setStrokeColor(colors.HexColor(style.UNTIED_COLOUR))
            c.setLineWidth(max(0.8, radius * 0.25))
            c.circle(x, y, radius * 1.35, stroke=1, fill=0)
        c.setFillColor(INK)
        c.setFont(regular, label_pt)
        c.drawCentredString(x, y - label_pt * 0.35, str(h.number))
        if h.relatives:
            c.setFillColor(colors.HexColor(style.STALE_COLOUR) if h.relatives_stale else INK)
            c.setFont(bold, label_pt * 0.8)
            c.drawString(x + radius * 0.75, y + radius * 0.55, style.RELATIVE_MARK)
    for s in m.supporters:
        x, y = at(pos[("s", s.key)])
        corners = style.shape(s.kind, radius)
        path = c.beginPath()
        path.moveTo(x + corners[0][0], y - corners[0][1])
        for cx, cy in corners[1:]:
            path.lineTo(x + cx, y - cy)
        path.close()
        c.setFillColor(colors.HexColor(style.SUPPORTER_FILL))
        c.setStrokeColor(INK)
        c.setLineWidth(max(1.6, radius * 0.4) if s.many else 0.5)
        c.drawPath(path, stroke=1, fill=1)
        c.setFillColor(INK)
        c.setFont(bold, label_pt)
        text = s.label if not m.names else s.label[:6]
        c.drawCentredString(x, y - label_pt * 0.35, text)
    c.restoreState()
    c.setLineWidth(0.5)


def _legend(c: Canvas, m: SupportMap, x: float, y: float, width: float, regular: str, bold: str) -> float:
    c.setFillColor(INK)
    c.setFont(bold, 11)
    c.drawString(x, y, "凡例")
    y -= 5 * mm
    c.setFont(regular, 7.5)
    y = _wrapped(c, style.LEGEND_NAMED if m.names else style.LEGEND_MINIMISED, x, y, width, regular, 7.5)
    y -= 1.5 * mm
    r = 1.8 * mm
    c.setStrokeColor(INK)
    c.setLineWidth(0.5)
    c.setFillColor(colors.white)
    c.circle(x + r, y - r / 2, r, stroke=1, fill=1)
    c.setFillColor(INK)
    c.drawString(x + 3 * r, y - r, "世帯（番号）" if not m.names else "世帯（番号・世帯主）")
    y -= 6 * mm
    column = width / 2
    for i, kind in enumerate(SUPPORTER_KINDS):
        cx = x + (i % 2) * column + r
        corners = style.shape(kind, r)
        path = c.beginPath()
        path.moveTo(cx + corners[0][0], y - r / 2 - corners[0][1])
        for px, py in corners[1:]:
            path.lineTo(cx + px, y - r / 2 - py)
        path.close()
        c.setFillColor(colors.HexColor(style.SUPPORTER_FILL))
        c.drawPath(path, stroke=1, fill=1)
        c.setFillColor(INK)
        c.drawString(cx + 2 * r, y - r, f"{KIND_LETTERS[kind]}＝{kind}")
        if i % 2:
            y -= 5.5 * mm
    y -= 1 * mm
    for i, kind in enumerate(TIE_KINDS):
        colour, dash = style.TIE_STYLES[kind]
        lx = x + (i % 2) * column
        c.setStrokeColor(colors.HexColor(colour))
        c.setLineWidth(1.2)
        c.setDash([d * 1.2 for d in dash]) if dash else c.setDash()
        c.line(lx, y - r / 2, lx + 12 * mm, y - r / 2)
        c.setDash()
        c.drawString(lx + 14 * mm, y - r, kind)
        if i % 2:
            y -= 5 * mm
    y -= 1 * mm
    c.setStrokeColor(colors.HexColor(style.UNTIED_COLOUR))
    c.setLineWidth(1.2)
    c.circle(x + r, y - r / 2, r * 1.2, stroke=1, fill=0)
    y = _wrapped(c, style.MARK_UNTIED, x + 4 * r, y - r + 0.3 * mm, width - 4 * r, regular, 7.5) - 1.5 * mm
    c.setStrokeColor(colors.HexColor(style.STALE_COLOUR))
    c.line(x, y - r / 2, x + 3 * r, y - r / 2)
    c.setFillColor(colors.white)
    c.circle(x + 1.5 * r, y - r / 2, r * 0.4, stroke=1, fill=1)
    c.setFillColor(INK)
    y = _wrapped(c, style.MARK_STALE, x + 4 * r, y - r + 0.3 * mm, width - 4 * r, regular, 7.5) - 1.5 * mm
    c.setStrokeColor(INK)
    c.setLineWidth(2)
    c.rect(x + 0.3 * r, y - 1.3 * r, 1.6 * r, 1.6 * r, stroke=1, fill=0)
    y = _wrapped(c, style.MARK_MANY, x + 4 * r, y - r + 0.3 * mm, width - 4 * r, regular, 7.5) - 1.5 * mm
    y = _wrapped(c, style.MARK_RELATIVE, x, y - r + 0.3 * mm, width, regular, 7.5) - 2 * mm
    c.setLineWidth(0.5)
    return y


def _wrapped(c: Canvas, text: str, x: float, y: float, width: float, font: str, size: float) -> float:
    """Draw ``text`` broken to ``width`` (Japanese breaks anywhere); returns the next baseline."""
    c.setFont(font, size)
    line = ""
    for ch in text:
        if c.stringWidth(line + ch, font, size) > width and line:
            c.drawString(x, y, line)
            y -= size * 1.35
            line = ""
        line += ch
    if line:
        c.drawString(x, y, line)
        y -= size * 1.35
    return y


def _household_list(c: Canvas, m: SupportMap, x: float, y: float, width: float, page_w: float, page_h: float,
                    council_name: str, regular: str, bold: str) -> int:
    """Numbered households (and the supporters' names) beside the map, then on further pages; returns the last page's number."""
    size = 7.5
    step = size * 1.3
    lines = [("世帯", True)] + [(f"{h.number}　{h.name or '（世帯員なし）'}"
                                 f"{'　つながりなし' if h.untied else ''}", False) for h in m.households]
    lines += [("支え手", True)] + [(f"{s.label}（{s.kind}）", False) for s in m.supporters]
    page = 1
    top_y = y
    columns = [(x, width)]
    bottom = MARGIN + 4 * mm
    index = 0
    while index < len(lines):
        for cx, cw in columns:
            while index < len(lines) and y > bottom:
                text, heading = lines[index]
                c.setFillColor(INK)
                c.setFont(bold if heading else regular, size + (1 if heading else 0))
                while c.stringWidth(text, regular, size) > cw and len(text) > 1:
                    text = text[:-1]
                c.drawString(cx, y, text)
                y -= step
                index += 1
            y = top_y if page > 1 else y
            if index >= len(lines):
                break
        if index < len(lines):
            c.showPage()
            page += 1
            baseline = page_h - MARGIN - 6 * mm
            c.setFont(bold, 14)
            c.setFillColor(INK)
            c.drawString(MARGIN, baseline, f"{TITLE}　{m.district}　世帯・支え手の一覧")
            confidential_box(c, page_w - MARGIN - 24 * mm, baseline, bold, 11)
            _footer(c, council_name, page_w, regular, page)
            top_y = baseline - 9 * mm
            y = top_y
            col_w = (page_w - 2 * MARGIN) / 4
            columns = [(MARGIN + i * col_w, col_w - 4 * mm) for i in range(4)]
    return page


def write_support_map_pdf(path: str | Path, m: SupportMap, council_name: str, paper: str = "A3",
                          placed: Layout | None = None) -> Path:
    """Write the map to ``path`` atomically (a half-written file never replaces a good one)."""
    path = Path(path)
    write_atomic(path, support_map_pdf_bytes(m, council_name, paper, placed))
    return path


def export_detail(path: str | Path, m: SupportMap, paper: str) -> dict:
    """What the audit log keeps: the file, the district, names or not, how many households."""
    return {"file": Path(path).name, "district_id": m.district_id, "names": m.names, "paper": paper,
            "households": len(m.households), "supporters": len(m.supporters)}


def export_map(store, district_id: str, out: str | Path, *, names: bool = False, paper: str = "A3") -> SupportMap:
    """Build the district's map (refused as ``support_map.build_map`` refuses), write the PDF and log it."""
    from shakyo_desk.store.services.council import get_settings
    from shakyo_desk.store.services.exports import log_export
    from shakyo_desk.store.services.support_map import build_map

    if paper not in PAPERS:
        from shakyo_desk.domain.errors import InvalidInput

        raise InvalidInput("用紙は A3 か A4 を選んでください。")
    m = build_map(store, district_id, names=names)
    write_support_map_pdf(out, m, get_settings(store).name, paper)
    log_export(store, "support_map_pdf", export_detail(out, m, paper))
    return m
