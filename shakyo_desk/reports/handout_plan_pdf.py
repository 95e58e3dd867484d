"""The 支援ケース part of a case on the handout (issue 18): the plan in force with who does what
by when and the last monitoring per goal, the evaluation of a closed case, or (支援会議) the
assessment's 課題 and 強み — printed exactly as ``handout_content.CaseWork`` gives them (already
minimised by ``handout_plan``).

``case_work_story(work, styles, width)`` returns the flowables that ``handout_pdf`` appends to a
case, in the handout's own styles (passed in, so that this module does not import
``handout_pdf``, which calls it)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Paragraph, Table, TableStyle

from shakyo_desk.domain.wareki import format_wareki, format_wareki_short
from shakyo_desk.reports.handout_content import AssessmentLine, CaseWork
from shakyo_desk.reports.paper import INK

NONE_TEXT = "（記載なし）"
HEADING_ROOM = 28 * mm
FAINT = colors.HexColor("#a8a8a8")
SHADE = colors.HexColor("#ececec")
STRIPE = colors.HexColor("#f6f6f6")
EVALUATION_BG = colors.HexColor("#eef7ef")


def _p(text: str, style) -> Paragraph:
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def _heading(text: str, st) -> list:
    return [CondPageBreak(HEADING_ROOM), _p(text, st["h2"])]


def _grid(data: list[list], widths: Sequence[float], st, *, header: bool = True, shade=None) -> Table:
    table = Table(data, colWidths=list(widths), repeatRows=1 if header else 0, splitByRow=1)
    style = [
        ("FONT", (0, 0), (-1, -1), st["cell"].fontName, st["cell"].fontSize),  # never a built-in font:
        # the handout's body pages share one set of embedded fonts between copies
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOX", (0, 0), (-1, -1), 0.8, INK),
        ("INNERGRID", (0, 0), (-1, -1), 0.35, FAINT),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), SHADE), ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
                  ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE])]
    elif shade is not None:
        style.append(("BACKGROUND", (0, 0), (0, -1), shade))
    table.setStyle(TableStyle(style))
    return table


def _plan(work: CaseWork, st, width: float) -> list:
    title = f"支援プラン（第{work.plan_version}版・{format_wareki(work.plan_made_on)}作成）"
    story = _heading(title, st)
    story.append(_p(f"支援方針：{work.policy}" if work.policy.strip() else "支援方針：（記載なし）", st["body"]))
    if work.goals:
        data = [[_p(h, st["label"]) for h in ("目標", "だれが・何を・いつまでに", "直近のモニタリング")]]
        for goal in work.goals:
            actions = "\n".join(
                f"・{a.who}\n　{a.what}" + (f"（{format_wareki_short(a.due_on)}まで）" if a.due_on else "")
                for a in goal.actions) or NONE_TEXT
            review = f"次の見直し：{format_wareki(goal.review_on)}" if goal.review_on else "見直しは終わっています"
            check = (goal.last_check or "まだモニタリングしていません") + "\n" + review
            data.append([_p(f"【{goal.target}】\n{goal.text}", st["cell"]), _p(actions, st["cell"]),
                         _p(check, st["cell"])])
        story.append(_grid(data, [width * 0.28, width * 0.44, width * 0.28], st))
    else:
        story.append(_p("目標はまだ立てられていません。", st["none"]))
    if work.missing_resources:
        story.append(_p("不足している社会資源：" + "、".join(work.missing_resources), st["body"]))
    return story


def _evaluation(work: CaseWork, st, width: float) -> list:
    e = work.evaluation
    story = _heading(f"終結時の評価（{format_wareki(e.closed_on)} 終結）", st)
    rows = [("終結の理由", e.reason), ("世帯に起きた変化", e.changes), ("うまくいったこと", e.worked or NONE_TEXT)]
    story.append(_grid([[_p(label, st["label"]), _p(value, st["cell"])] for label, value in rows],
                       [34 * mm, width - 34 * mm], st, header=False, shade=EVALUATION_BG))
    return story


def _assessment(title: str, lines: Sequence[AssessmentLine], st, width: float) -> list:
    story = _heading(title, st)
    if not lines:
        return story + [_p(NONE_TEXT, st["none"])]
    data = [[_p(h, st["label"]) for h in ("だれについて", "だれの見方", "内容")]]
    data += [[_p(line.about, st["cell"]), _p(line.said_by, st["cell"]), _p(line.text, st["cell"])] for line in lines]
    return story + [_grid(data, [30 * mm, 40 * mm, width - 70 * mm], st)]


def case_work_story(work: CaseWork | None, st, width: float) -> list:
    """The flowables for ``work`` (none when there is no case behind the meeting's case)."""
    if work is None:
        return []
    story: list = []
    if work.plan_version:
        story += _plan(work, st, width)
    if work.evaluation is not None:
        story += _evaluation(work, st, width)
    if work.problems or work.strengths:
        story += _assessment("アセスメントの課題（関係者それぞれの見方）", work.problems, st, width)
        story += _assessment("アセスメントの強み（関係者それぞれの見方）", work.strengths, st, width)
    return story
