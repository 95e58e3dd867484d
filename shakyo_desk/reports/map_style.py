"""How a 支え合いマップ looks, for the PDF and the screen alike (no Qt, no reportlab): a line
per kind of tie (a colour and a dash, so a black-and-white copy still tells them apart), a
shape per kind of supporter, the marks and the legend's words."""

from __future__ import annotations

import math

# Kind of tie → (colour, dash pattern in line widths; () is solid).
TIE_STYLES: dict[str, tuple[str, tuple[float, ...]]] = {
    "見守り": ("#1f5fa8", ()),
    "声かけ": ("#2e8b3e", (6, 3)),
    "安否確認": ("#b03a2e", (8, 2, 1.5, 2)),
    "買い物": ("#d2740a", (12, 3)),
    "送迎": ("#6a3d9a", (1.5, 2.5)),
    "ごみ出し": ("#7a5230", (4, 2, 4, 6)),
    "話し相手": ("#138d90", (1.5, 2, 6, 2)),
    "その他": ("#555555", (3, 3)),
}
STALE_COLOUR = "#9a9a9a"  # a tie not confirmed for a year: grey, with a small open mark at its middle
UNTIED_COLOUR = "#c0141c"  # the ring around a household with no tie
HOUSEHOLD_FILL = "#ffffff"
SUPPORTER_FILL = "#fff4c2"
AREA_COLOUR = "#b8b8b8"

# Kind of supporter → shape (a polygon's corners around (0, 0) for a unit radius).
SHAPES = {"住民": 4, "民生委員": 3, "事業所": -4, "親族": 5, "ボランティア": 6, "サロン": 8}


def shape(kind: str, radius: float) -> list[tuple[float, float]]:
    """Corners of the supporter's shape: a square (住民), a triangle (民生委員), a diamond
    (事業所, the square turned), a pentagon (親族), a hexagon (ボランティア), an octagon (サロン)."""
    sides = SHAPES.get(kind, 4)
    turned = sides < 0
    sides = abs(sides)
    start = -math.pi / 2 if sides % 2 else (-math.pi / 2 if turned else -math.pi / 2 + math.pi / sides)
    r = radius * (1.25 if sides == 3 else 1.15 if sides == 4 else 1.05)
    return [(r * math.cos(start + 2 * math.pi * i / sides), r * math.sin(start + 2 * math.pi * i / sides))
            for i in range(sides)]


LEGEND_MINIMISED = "世帯は番号、支え手は立場の略字と番号で示しています（名前は載せていません）。"
LEGEND_NAMED = "世帯と支え手を名前で示しています。持ち出し・配布の範囲に注意してください。"
MARK_UNTIED = "つながりなし（一人暮らし高齢者・高齢者のみで支え合いの関係がない世帯）"
MARK_STALE = "1年以上未確認の関係（灰色の線、中ほどに○）"
MARK_MANY = "多くを担う支え手（太い枠）"
MARK_RELATIVE = "世帯の右上の「親」：離れて住む親族が見守っている（灰色は1年以上未確認）"
RELATIVE_MARK = "親"
