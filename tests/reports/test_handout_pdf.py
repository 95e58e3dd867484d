"""会議資料 PDF: render hand-built content, extract the text and check what must be on paper
(DESIGN §6): the markings on every page of every copy, the copy numbers and recipients,
page n/m restarting per copy, the notice for a 支援会議 only, the case texts, and safe writing."""

import errno
import io
import os
import re
import stat
import subprocess
from dataclasses import replace
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from shakyo_desk.domain import safe_file
from shakyo_desk.domain.errors import InvalidInput, UserError
from shakyo_desk.reports import fonts
from shakyo_desk.reports.handout_content import (
    CaseSection, Copy, HandoutContent, HouseholdRow, Member, Role, TimelineEntry,
)
from shakyo_desk.reports.handout_pdf import (
    COLLECT, CONFIDENTIAL, DECISIONS, copy_file_name, copy_label, handout_pdf_bytes, render_copies_separately,
    render_handout,
)

HELD_ON = date(2025, 6, 10)  # a Tuesday
DATE_TEXT = "令和7年6月10日（火）"
TITLE = "令和7年度 第3回 架空町支援会議"
NOTICE = ("この会議は社会福祉法第106条の6に基づく支援会議です。構成員には守秘義務があり、"
          "会議で知り得た秘密を漏らしてはなりません。違反した場合は1年以下の拘禁刑又は100万円以下の罰金に処せられます。")

ORGANISATIONS = ["架空町 福祉課", "架空町地域包括支援センター", "架空町保健センター", "まいさぽ架空", "架空町社会福祉協議会",
                 "民生委員・児童委員（上町地区）", "架空町 税務住民課", "ハローワーク架空", "居宅介護支援事業所 ひだまり",
                 "架空町 子育て支援課", "架空警察署 生活安全課", "訪問看護ステーション そよかぜ"]
NAMES = ["山田 太郎", "佐藤 花子", "鈴木 一郎", "高橋 美咲", "田中 健", "伊藤 和子", "渡辺 誠", "中村 由美", "小林 修",
         "加藤 直子", "吉田 浩二", "山本 陽子"]
KINDS = ["訪問", "電話", "把握シート", "同行訪問", "会議", "来所相談"]
TEXTS = [
    "本人と玄関先で10分ほど話す。食事は1日2食とのこと。冷蔵庫の中はほとんど空だった。",
    "長男から電話。母の物忘れが進み、通帳の置き場所がわからなくなったと相談あり。",
    "民生委員が把握シートを提出。新聞がたまっている、夜に電気がついていないことがあるとの情報。",
    "地域包括の職員と同行訪問。介護保険の申請について説明し、本人も前向きな様子。",
    "ケース検討会で状況を共有。まずは生活費の状況を確かめることになった。",
    "本人が社協窓口に来所。家賃を2か月滞納しており、大家から退去を求められていると話す。",
]


def make_case(index: int, timeline_rows: int = 12) -> CaseSection:
    initials = ["A・T", "K・S", "M・Y", "H・N", "R・O", "S・I", "T・K", "Y・M", "N・F", "E・H"][index % 10]
    return CaseSection(
        label=f"ケース{index + 1}（{initials}様世帯）",
        composition=(
            HouseholdRow("本人", f"{initials}", "80代", "女", ("一人暮らし高齢者", "要介護1")),
            HouseholdRow("長男", "（町外在住）", "50代", "男", ("月1回程度来訪",)),
            HouseholdRow("長女", "―", "50代", "女", ()),
        )[: 1 + index % 3],
        concerns=(f"生活費が足りず、家賃と公共料金の滞納が続いている（ケース{index + 1}）",
                  "物忘れが増え、服薬や金銭の管理が難しくなっている",
                  "近所付き合いが減り、外出は週1回の買い物だけになっている"),
        timeline=tuple(
            TimelineEntry(HELD_ON - timedelta(days=7 * (timeline_rows - n)), KINDS[(n + index) % len(KINDS)],
                          f"{TEXTS[(n + index) % len(TEXTS)]}（経過{index + 1}-{n + 1}）")
            for n in range(timeline_rows)
        ),
        strengths=("畑仕事が好きで、近所の人に野菜を分けている", "長男との関係は良好で、電話で話せる",
                   "サロンに以前は通っており、顔なじみがいる"),
        wishes=f"「できるだけこの家で暮らしたい。施設には行きたくない。」（ケース{index + 1}の本人の言葉）",
        plan="地域包括支援センターが介護保険の申請を支援し、社協は日常生活自立支援事業の利用を検討する。"
             "民生委員は週1回の見守り訪問を続ける。",
        roles=(Role("架空町地域包括支援センター", "介護保険の申請支援、ケアマネジャーへのつなぎ"),
               Role("架空町社会福祉協議会", "日常生活自立支援事業の説明、家計の相談"),
               Role("民生委員・児童委員", "週1回の見守り訪問、異変があれば社協へ連絡")),
        question=f"金銭管理の支援をどの機関が主担当として進めるか、ご意見をいただきたい（ケース{index + 1}）。",
    )


def make_content(cases: int = 3, members: int = 12, notice: str | None = NOTICE, timeline_rows: int = 12,
                 ) -> HandoutContent:
    return HandoutContent(
        council_name="架空町社会福祉協議会",
        meeting_type="支援会議",
        legal_basis="社会福祉法第106条の6",
        title=TITLE,
        held_on=HELD_ON,
        time_text="14:00〜15:30",
        place="架空町総合福祉センター 2階 第1会議室",
        convenor="架空町 福祉課長",
        agenda=("前回の会議で決まったことの確認", "各ケースの状況報告と支援方針の検討", "次回の日程"),
        members=tuple(Member(NAMES[n % 12], ORGANISATIONS[n % 12]) for n in range(members)),
        confidentiality_notice=notice,
        cases=tuple(make_case(n, timeline_rows) for n in range(cases)),
    )


def make_copies(n: int = 12) -> list[Copy]:
    return [Copy(k + 1, f"{NAMES[k % 12]} 様") for k in range(n)]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdftotext_pages(source) -> list[str]:
    """Text per page as poppler sees it (a second, independent extractor next to pypdf);
    ``source`` is a path or a stream of PDF bytes."""
    data = source.getvalue() if isinstance(source, io.BytesIO) else None
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-" if data else str(source), "-"], input=data,
                         capture_output=True, check=True).stdout.decode("utf-8")
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def embedded_fonts(path) -> set[str]:
    """Names of the fonts in the PDF; fails if any of them is not embedded."""
    rows = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    names = set()
    for row in rows:
        assert " yes " in row, row  # emb column
        names.add(row.split()[0].split("+", 1)[-1])
    return names


def pypdf_pages(path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def body_text(pages: list[str]) -> str:
    """The pages' text without the running header and footer, squashed, so that a sentence
    running from one page onto the next reads as one."""
    heading = squash(f"{TITLE}　{DATE_TEXT}　14:00〜15:30")
    lines = [line for page in pages for line in page.splitlines()
             if not any(mark in line for mark in ("配布番号", "取扱注意", "ページ")) and squash(line) != heading]
    return squash("".join(lines))


def check_copy_pages(pages: list[str], copy: Copy, total_copies: int) -> None:
    """Every page of one copy carries all the markings and its own n / m."""
    label = squash(copy_label(copy, total_copies))
    for number, page in enumerate(pages, start=1):
        text = squash(page)
        assert CONFIDENTIAL in text, number
        assert COLLECT in text, number
        assert squash(TITLE) in text and DATE_TEXT in text, number
        assert label in text, (number, label)
        assert f"{number}/{len(pages)}ページ" in text, (number, len(pages))


@pytest.fixture(scope="module")
def one_file(tmp_path_factory):
    content = make_content()
    copies = make_copies(4)
    path = render_handout(content, copies, tmp_path_factory.mktemp("handout") / "handout.pdf")
    return path, content, copies


def test_every_page_of_every_copy_is_marked_and_numbered(one_file):
    path, _, copies = one_file
    pages = pdftotext_pages(path)
    assert len(pages) % len(copies) == 0
    per_copy = len(pages) // len(copies)
    assert per_copy >= 5  # cover, three cases, decisions
    for index, copy in enumerate(copies):
        check_copy_pages(pages[index * per_copy:(index + 1) * per_copy], copy, len(copies))
    # pypdf reads the same (the body is a form on each page; both extractors must see into it)
    assert [squash(p) for p in pypdf_pages(path)][per_copy + 1].count("ケース") >= 1
    assert "配布番号2／4佐藤花子様" in squash(pypdf_pages(path)[per_copy])


def test_copies_carry_the_same_body(one_file):
    path, _, copies = one_file
    pages = pdftotext_pages(path)
    per_copy = len(pages) // len(copies)

    def body(page):  # drop the furniture lines that differ per copy
        return squash(re.sub(r".*(配布番号|ページ).*", "", page))

    first = [body(p) for p in pages[:per_copy]]
    for index in range(1, len(copies)):
        assert [body(p) for p in pages[index * per_copy:(index + 1) * per_copy]] == first


def test_cover_shows_the_meeting(one_file):
    path, content, _ = one_file
    cover = squash(pdftotext_pages(path)[0])
    for text in ("支援会議（社会福祉法第106条の6）", DATE_TEXT + "14:00〜15:30", content.place, content.convenor,
                 "協議事項", *content.agenda, "構成員（12名）", "架空町地域包括支援センター", "佐藤花子",
                 "守秘義務について", NOTICE):
        assert squash(text) in cover, text


def test_case_texts_are_all_there(one_file):
    path, content, copies = one_file
    pages = pdftotext_pages(path)
    text = body_text(pages[: len(pages) // len(copies)])
    for case in content.cases:
        assert squash(case.label) in text
        assert squash(case.question) in text
        assert squash(case.wishes) in text
        assert squash(case.plan) in text
        for line in case.concerns + case.strengths:
            assert squash(line) in text
        for row in case.composition:
            assert squash(row.relation + row.name + row.age_band + row.sex) in text
        for role in case.roles:
            assert squash(role.agency) in text and squash(role.role) in text
        for entry in case.timeline:
            assert squash(entry.text) in text
    for heading in ("この会議で検討したいこと", "世帯構成", "課題・困りごと", "これまでの経過", "強み", "本人の意向",
                    "現在の支援方針", "役割分担"):
        assert heading in text
    assert "R7.6.3" in text  # timeline dates in short 和暦


def test_last_page_is_for_decisions(one_file):
    path, _, copies = one_file
    pages = pdftotext_pages(path)
    last = squash(pages[len(pages) // len(copies) - 1])
    for text in (DECISIONS, "支援方針", "主担当", "役割分担", "次回見直し日", "令和年月日"):
        assert text in last


def test_japanese_is_real_text_with_the_font_embedded(one_file):
    path, _, _ = one_file
    text = "".join(pdftotext_pages(path))
    assert "\ufffd" not in text  # no replacement characters (boxes)
    assert "まずは生活費の状況を確かめることになった" in squash(text)
    assert embedded_fonts(path) == {"BIZUDGothic-Regular", "BIZUDGothic-Bold"}  # no Helvetica anywhere


def test_notice_only_when_given():
    content = make_content(cases=1, notice=None)
    content = replace(content, meeting_type="重層的支援会議", legal_basis="社会福祉法第106条の4",
                      title="令和7年度 第2回 架空町重層的支援会議")
    data = handout_pdf_bytes(content, make_copies(1))
    text = squash(PdfReader(io.BytesIO(data)).pages[0].extract_text())
    assert "重層的支援会議（社会福祉法第106条の4）" in text
    assert "守秘義務" not in text and "拘禁刑" not in text


def test_per_copy_files(tmp_path):
    content = make_content(cases=2)
    copies = make_copies(3)
    paths = render_copies_separately(content, copies, tmp_path)
    assert [p.name for p in paths] == [copy_file_name(content, c) for c in copies]
    assert paths[0].name == "会議資料_R7.6.10_支援会議_配布01_山田太郎様.pdf"
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in paths)  # no temp files left
    one = handout_pdf_bytes(content, copies)
    per_copy = len(PdfReader(io.BytesIO(one)).pages) // 3
    body = body_text(pdftotext_pages(io.BytesIO(one))[:per_copy])
    assert squash(content.cases[1].wishes) in body
    for path, copy in zip(paths, copies):
        pages = pdftotext_pages(path)
        assert len(pages) == per_copy
        check_copy_pages(pages, copy, 3)  # "配布番号 2／3" although the file holds one copy
        assert body_text(pages) == body  # the body, laid out once, reads the same in every file
        assert embedded_fonts(path) == {"BIZUDGothic-Regular", "BIZUDGothic-Bold"}


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_handout_files_are_readable_by_their_owner_only(tmp_path):
    old = tmp_path / "handout.pdf"
    old.write_bytes(b"an earlier handout")
    old.chmod(0o644)
    one = render_handout(make_content(cases=1), make_copies(2), old)
    (tmp_path / "copies").mkdir()
    separate = render_copies_separately(make_content(cases=1), make_copies(2), tmp_path / "copies")
    assert [stat.S_IMODE(p.stat().st_mode) for p in [one, *separate]] == [0o600] * 3
    assert one.read_bytes().startswith(b"%PDF")


def test_a_failed_rename_keeps_the_earlier_handout(tmp_path, monkeypatch):
    target = tmp_path / "handout.pdf"
    target.write_bytes(b"an earlier handout")

    def pulled(*_a):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(safe_file.os, "replace", pulled)
    with pytest.raises(InvalidInput):
        render_handout(make_content(cases=1), make_copies(2), target)
    assert target.read_bytes() == b"an earlier handout" and os.listdir(tmp_path) == ["handout.pdf"]


def test_reprint_of_one_copy_keeps_the_total(tmp_path):
    path = render_handout(make_content(cases=1), [Copy(7, "小林 修 様", total=12)], tmp_path / "reprint.pdf")
    pages = pdftotext_pages(path)
    check_copy_pages(pages, Copy(7, "小林 修 様"), 12)


def test_long_timeline_splits_across_pages_without_losing_rows(tmp_path):
    content = make_content(cases=1, timeline_rows=90)
    path = render_handout(content, make_copies(2), tmp_path / "long.pdf")
    pages = pdftotext_pages(path)
    per_copy = len(pages) // 2
    assert per_copy >= 6  # cover, a case over several pages, decisions
    check_copy_pages(pages[:per_copy], make_copies(2)[0], 2)
    check_copy_pages(pages[per_copy:], make_copies(2)[1], 2)
    text = body_text(pages[:per_copy])
    for entry in content.cases[0].timeline:
        assert text.count(squash(entry.text)) == 1
    # the header row repeats on each page the table runs onto
    table_pages = [p for p in pages[:per_copy] if "経過1-" in p]
    assert len(table_pages) >= 3 and all("日付" in p and "種別" in p for p in table_pages)


def test_long_free_text_and_many_members_still_render(tmp_path):
    case = replace(make_case(0), wishes="家で暮らしたい。" * 400, question="検討したいこと。" * 150)
    content = replace(make_content(cases=0, members=40), cases=(case,))
    path = render_handout(content, [Copy(1, "事務局控え")], tmp_path / "long.pdf")
    text = body_text(pdftotext_pages(path))
    assert text.count("家で暮らしたい。") == 400
    assert text.count("検討したいこと。") == 150


def test_stream_output_and_long_labels_are_fitted():
    buffer = io.BytesIO()
    long_recipient = "架空町地域包括支援センター 主任介護支援専門員 寿限無寿限無五劫の擦り切れ 様" * 2
    assert render_handout(make_content(cases=0), [Copy(1, long_recipient)], buffer) is None
    text = squash(PdfReader(io.BytesIO(buffer.getvalue())).pages[0].extract_text())
    assert "配布番号1／1" in text and "…" in text


def test_bad_copies_are_refused():
    content = make_content(cases=0)
    with pytest.raises(InvalidInput, match="配布先が一人もいない"):
        handout_pdf_bytes(content, [])
    with pytest.raises(InvalidInput, match="重複"):
        handout_pdf_bytes(content, [Copy(1, "a"), Copy(1, "b")])
    with pytest.raises(InvalidInput, match="超えています"):
        handout_pdf_bytes(content, [Copy(13, "a", total=12)])


@pytest.mark.parametrize("mode", ["one", "separate"])
def test_unwritable_folder_is_a_clear_error(tmp_path, monkeypatch, mode):
    folder = tmp_path / "readonly"
    folder.mkdir()
    real_open = os.open
    calls = []

    def failing_open(path, flags, *args, **kwargs):  # the second file fails, as a full or locked stick would
        if str(path).endswith(".partial"):
            calls.append(1)
            if len(calls) == 2 or mode == "one":
                raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(safe_file.os, "open", failing_open)
    with pytest.raises(InvalidInput) as error:
        if mode == "one":
            render_handout(make_content(cases=1), make_copies(2), folder / "handout.pdf")
        else:
            render_copies_separately(make_content(cases=1), make_copies(3), folder)
    assert "書き込めない" in error.value.message
    assert os.listdir(folder) == []


def test_really_read_only_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(InvalidInput, match="書き込めない"):
            render_copies_separately(make_content(cases=1), make_copies(2), folder)
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o700)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidInput, match="フォルダが見つかりません"):
        render_handout(make_content(cases=0), make_copies(1), tmp_path / "nowhere" / "handout.pdf")
    with pytest.raises(InvalidInput, match="フォルダが見つかりません"):
        render_copies_separately(make_content(cases=0), make_copies(1), tmp_path / "nowhere")


def test_failure_during_rendering_leaves_no_file(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("layout failed")

    monkeypatch.setattr("shakyo_desk.reports.handout_pdf.build_story", broken)
    with pytest.raises(RuntimeError):
        render_handout(make_content(cases=1), make_copies(2), tmp_path / "handout.pdf")
    with pytest.raises(RuntimeError):
        render_copies_separately(make_content(cases=1), make_copies(2), tmp_path)
    assert os.listdir(tmp_path) == []


def test_missing_font_is_a_japanese_message(tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "candidate_dirs", lambda: [tmp_path / "fonts"])
    monkeypatch.setattr(fonts, "_registered", False)
    with pytest.raises(UserError) as error:
        render_handout(make_content(cases=1), make_copies(1), tmp_path / "handout.pdf")
    assert isinstance(error.value, fonts.FontMissing)
    assert "BIZ UDゴシック" in error.value.message and "見つかりません" in error.value.message
    assert os.listdir(tmp_path) == []
