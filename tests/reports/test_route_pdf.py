"""訪問予定リスト PDF: extract its text and check what must be on paper (DESIGN §8)."""

import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.reports import fonts
from shakyo_desk.reports.route_pdf import (
    CONFIDENTIAL, HANDLING_LINES, NO_VISITS, TITLE, group_by_district, overdue_text, write_route_pdf,
)
from shakyo_desk.store.services.watch import DueHousehold

DAY = date(2025, 6, 10)  # a Tuesday
COUNCIL = "架空村社会福祉協議会"
DISTRICTS = ["上町", "下町", "川向"]
SURNAMES = ["山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤", "吉田", "山本", "松本"]


def make_rows(n: int = 25) -> list[DueHousehold]:
    rows = []
    for i in range(n):
        district = DISTRICTS[i % 3]
        rows.append(DueHousehold(
            household_id=f"hh-{i:02d}",
            head_name=f"{SURNAMES[i % len(SURNAMES)]} {'花子' if i % 2 else '一郎'}{i:02d}",
            head_kana=f"カソウ {i:02d}",
            district_id=f"d{i % 3}",
            district=district,
            address=f"架空村{district}{i + 1}番地" + ("　みどり荘203号室（裏の階段から）" if i % 4 == 0 else ""),
            phone=f"0123-45-{6700 + i}" if i % 5 else "",
            flags=("一人暮らし高齢者", "身寄りなし") if i % 2 else (),
            watch_level="高" if i % 3 else "中",
            last_contact=DAY - timedelta(days=30 + i) if i % 6 else None,
            last_attempt=DAY - timedelta(days=2) if i % 7 == 0 else None,
            due=DAY - timedelta(days=i - 3),
            next_action=f"薬の飲み忘れがないか確かめる{i:02d}" if i % 3 else "",
        ))
    return rows


def page_texts(path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def route_pdf(tmp_path_factory):
    rows = make_rows()
    path = write_route_pdf(tmp_path_factory.mktemp("route") / "route.pdf", COUNCIL, DAY, rows, "佐藤 花子")
    return path, rows


def test_every_household_is_listed_with_its_details(route_pdf):
    path, rows = route_pdf
    text = squash("".join(page_texts(path)))
    for row in rows:
        assert squash(row.head_name) in text
        assert squash(row.address) in text
        if row.phone:
            assert row.phone in text
        if row.next_action:
            assert row.next_action in text
    assert "記録なし" in text  # never visited
    assert "一人暮らし高齢者、身寄りなし" in text
    assert squash(format_wareki(rows[7].last_attempt)) + "に訪ねたが会えず" in text


def test_title_date_council_and_staff(route_pdf):
    path, _ = route_pdf
    first = squash(page_texts(path)[0])
    assert TITLE in first
    assert "令和7年6月10日（火）" in first
    assert COUNCIL in first
    assert "担当：佐藤花子" in first
    assert "25世帯（3地区）" in first


def test_every_page_is_marked_and_numbered(route_pdf):
    path, _ = route_pdf
    pages = page_texts(path)
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        flat = squash(text)
        assert CONFIDENTIAL in flat
        assert f"{number}/{len(pages)}ページ" in flat
        assert all(squash(line) in flat for line in HANDLING_LINES)
        assert "令和7年6月10日（火）" in flat


def test_grouped_by_district_in_row_order(route_pdf):
    path, rows = route_pdf
    text = squash("".join(page_texts(path)))
    headings = [text.index(f"{d}（") for d in ("上町", "下町", "川向")]
    assert headings == sorted(headings)  # the order districts first appear in the rows
    # every household sits under its own district heading, in the rows' order
    positions = [text.index(squash(r.head_name)) for r in rows]
    for district, members in group_by_district(rows):
        start = text.index(f"{district}（")
        ends = [h for h in headings if h > start]
        end = min(ends) if ends else len(text)
        member_positions = [text.index(squash(r.head_name)) for r in members]
        assert all(start < p < end for p in member_positions)
        assert member_positions == sorted(member_positions)
    assert len(set(positions)) == len(rows)


def test_overdue_and_result_boxes(route_pdf):
    path, rows = route_pdf
    text = squash("".join(page_texts(path)))
    assert "10日過ぎ" in text  # row 13: due 10 days ago
    assert "今日が予定日" in text
    assert "予定日まであと3日" in text
    assert text.count("□会えた") == len(rows)
    assert text.count("メモ") >= len(rows)


def test_font_is_embedded(route_pdf):
    path, _ = route_pdf
    reader = PdfReader(str(path))
    embedded, names = set(), set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]))
            for part in [font, *[d.get_object() for d in font.get("/DescendantFonts", [])]]:
                descriptor = part.get("/FontDescriptor")
                if descriptor is not None and "/FontFile2" in descriptor.get_object():
                    embedded.add(str(part["/BaseFont"]))
    assert any("BIZUDGothic" in name for name in embedded), (embedded, names)
    assert all("BIZUDGothic" in name for name in names), names  # nothing else, no fallback font
    raw = path.read_bytes()
    assert b"/FontFile2" in raw
    assert b"Helvetica" not in raw  # no text fell back to a font without Japanese


def test_no_personal_data_in_metadata(route_pdf):
    path, rows = route_pdf
    meta = PdfReader(str(path)).metadata
    values = " ".join(str(v) for v in meta.values())
    assert rows[0].head_name not in values
    assert TITLE in values


def test_empty_list_still_makes_a_page(tmp_path):
    path = write_route_pdf(tmp_path / "empty.pdf", COUNCIL, DAY, [])
    pages = page_texts(path)
    assert len(pages) == 1
    flat = squash(pages[0])
    assert squash(NO_VISITS) in flat
    assert CONFIDENTIAL in flat and "1/1ページ" in flat
    assert "0世帯" in flat


def test_written_atomically_over_an_old_file(tmp_path):
    target = tmp_path / "route.pdf"
    target.write_bytes(b"old")
    write_route_pdf(target, COUNCIL, DAY, make_rows(2))
    assert target.read_bytes().startswith(b"%PDF")
    assert [p.name for p in tmp_path.iterdir()] == ["route.pdf"]  # no temp file left


def test_names_with_markup_characters_are_printed_as_written(tmp_path):
    row = make_rows(1)[0]
    odd = DueHousehold(**{**row.__dict__, "head_name": "A&B <様>", "next_action": "鍵は<玄関>の & 横"})
    text = squash("".join(page_texts(write_route_pdf(tmp_path / "odd.pdf", COUNCIL, DAY, [odd]))))
    assert "A&B<様>" in text
    assert "鍵は<玄関>の&横" in text


def test_overdue_text():
    row = make_rows(1)[0]  # due three days after DAY
    assert overdue_text(row, DAY) == "予定日まであと3日"
    assert overdue_text(row, DAY + timedelta(days=3)) == "今日が予定日"
    assert overdue_text(row, DAY + timedelta(days=5)) == "2日過ぎ"


def test_font_files_and_licence_are_shipped():
    folder = fonts.font_dir()
    assert (folder / "BIZUDGothic-Regular.ttf").is_file()
    assert (folder / "BIZUDGothic-Bold.ttf").is_file()
    licence = (folder / "OFL.txt").read_text("utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert "Copyright 2022 The BIZ UDGothic Project Authors" in licence
    assert fonts.register_fonts() == (fonts.FONT_REGULAR, fonts.FONT_BOLD)  # idempotent


def test_missing_fonts_are_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "candidate_dirs", lambda: [tmp_path])
    with pytest.raises(fonts.FontMissing) as error:
        fonts.font_dir()
    assert "BIZ UDゴシック" in error.value.message
