"""全方位型アセスメント on one A4 sheet (issue 18): hand-built case content, the PDF's text
extracted with pypdf; a typical case fits one landscape sheet, a long one runs on, numbered."""

import io
import re
from datetime import date

from pypdf import PdfReader

from shakyo_desk.reports.assessment_pdf import HANDLING, TITLE, assessment_pdf
from shakyo_desk.store.services.case_views import CaseDetail, CaseSummary, View
from shakyo_desk.ui.case_dialogs import Member

DAY = date(2026, 12, 7)
MEMBERS = [Member("p1", "山田 ハル", "本人"), Member("p2", "山田 一郎", "子")]
VIEWS = [
    ("p1", "山田 ハル", "本人", "買い物に行けなくなった", "近所の人と仲が良い", "この家で暮らし続けたい"),
    ("p1", "民生委員 山本", "民生委員", "冬は外に出られない", "毎朝ラジオ体操に出ている", ""),
    ("p1", "佐藤 ケアマネ", "地域包括支援センター", "物忘れが増えている", "", "「迷惑をかけたくない」"),
    ("p2", "山田 一郎", "本人", "仕事がない", "母親思い", "町で働きたい"),
    (None, "社協 田中", "社会福祉協議会", "世帯の収入が年金だけ", "親戚が隣町にいる", ""),
]


def detail(views=VIEWS) -> CaseDetail:
    summary = CaseSummary("c1", "h1", "山田 ハル", "アセスメント", date(2026, 11, 2), None, "s1", "田中 次郎", "a1",
                          "架空村地域包括支援センター", None)
    people = {m.id: m.name for m in MEMBERS}
    return CaseDetail(summary, (), (), tuple(
        View(f"v{i}", pid, people.get(pid, ""), who, org, date(2026, 11, 10 + i % 10), problem, strength, wish)
        for i, (pid, who, org, problem, strength, wish) in enumerate(views)), (), ())


def pages(data: bytes) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_a_typical_case_on_one_landscape_sheet_with_every_view():
    data = assessment_pdf(detail(), MEMBERS, council="架空村社会福祉協議会", printed_by="田中 次郎", today=DAY)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    text = squash(pages(data)[0])
    for part in (TITLE, "取扱注意", HANDLING, "山田ハルさんの世帯", "架空村社会福祉協議会", "令和8年12月7日印刷",
                 "担当：田中次郎", "主担当機関：架空村地域包括支援センター"):
        assert squash(part) in text, part
    for _pid, who, org, problem, strength, wish in VIEWS:
        for part in (who, org, problem, strength, wish):
            assert squash(part) in text, part
    # the household first, then each member in the household's order
    table = text[text.index("対象発言した人課題強み本人の意向"):]
    assert table.index("世帯全体") < table.index("山田ハル（本人）") < table.index("山田一郎（子）")
    assert squash("参加した人：山田ハル（本人）、民生委員山本（民生委員）") in text


def test_a_long_assessment_runs_onto_numbered_sheets_each_marked():
    long = [("p1", f"参加者{i}", "民生委員", "長い課題の説明。" * 30, "強み。" * 20, "意向。" * 20) for i in range(12)]
    data = assessment_pdf(detail(long), MEMBERS, today=DAY)
    texts = pages(data)
    assert len(texts) > 1
    for n, page in enumerate(texts, start=1):
        assert "取扱注意" in page and f"{n}ページ" in squash(page)
    assert all(f"参加者{i}" in squash("".join(texts)) for i in range(12))
