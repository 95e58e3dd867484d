from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from shakyo_desk.store.services import contacts, households
from shakyo_desk.ui.contact_entry import ContactEntryDialog
from shakyo_desk.ui.pages import watch as watch_module
from shakyo_desk.ui.pages.watch import WatchPage, default_pdf_path
from shakyo_desk.ui.style import ERROR_COLOUR
from shakyo_desk.domain import clock

TODAY = clock.today()


def make_page(qtbot, ctx):
    page = WatchPage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 600)
    page.show()
    page.refresh()
    return page


def schedule(ctx, village):
    h = village["households"]
    # 山田: every 7 days, last visited 19 days ago → 12 days overdue
    households.update_household(ctx.store, h["yamada"], watch_interval_days=7, watch_level="高")
    contacts.add_contact(ctx.store, household_id=h["yamada"], contact_date=TODAY - timedelta(days=19),
                         next_action="灯油が足りているか")
    # 鈴木: planned for today at the last visit
    contacts.add_contact(ctx.store, household_id=h["suzuki"], contact_date=TODAY - timedelta(days=3),
                         next_contact_date=TODAY)
    # 田中: not on the schedule


def test_overdue_first_and_entry_for_it(qtbot, ctx, village):
    schedule(ctx, village)
    page = make_page(qtbot, ctx)
    assert [r.head_name for r in page.rows] == ["山田 花子", "鈴木 一郎"]
    late = page.table.item(0, 1)
    assert late.text() == "12日過ぎ"
    assert late.foreground().color() == QColor(ERROR_COLOUR)
    assert page.table.item(1, 1).text() == "今日"
    assert page.table.item(0, 7).text() == "灯油が足りているか"
    assert "うち遅れ 1世帯" in page.count_label.text()

    page.table.selectRow(0)
    qtbot.mouseClick(page.entry_button, Qt.MouseButton.LeftButton)
    entry = page.contact_entry
    assert isinstance(entry, ContactEntryDialog)
    assert entry.household_id == village["households"]["yamada"]
    assert entry.household.text().startswith("山田 花子")
    entry.save()
    assert "保存しました" in entry.confirmation.text()
    # visited today: 山田 is no longer due this week
    assert [r.head_name for r in page.rows] == ["鈴木 一郎"]
    entry.done(0)


def test_a_failed_attempt_is_shown_with_its_day(qtbot, ctx, village):
    schedule(ctx, village)
    tried = TODAY - timedelta(days=2)
    contacts.add_contact(ctx.store, household_id=village["households"]["yamada"], contact_date=tried, method="不在")
    page = make_page(qtbot, ctx)
    assert page.rows[0].head_name == "山田 花子"  # 不在 does not move the schedule on
    assert page.table.item(0, 6).text().endswith(f"（{tried.month}月{tried.day}日は不在）")


def test_district_filter_and_empty(qtbot, ctx, village):
    schedule(ctx, village)
    page = make_page(qtbot, ctx)
    page.district.setCurrentIndex(page.district.findData(village["districts"]["south"]))
    assert [r.head_name for r in page.rows] == ["鈴木 一郎"]
    page.district.setCurrentIndex(page.district.findData(village["districts"]["kami"]))
    assert [r.head_name for r in page.rows] == ["山田 花子"]
    page.district.setCurrentIndex(0)
    contacts.add_contact(ctx.store, household_id=village["households"]["yamada"])
    contacts.add_contact(ctx.store, household_id=village["households"]["suzuki"])
    page.run_query()
    assert page.stack.currentWidget() is page.empty
    assert "訪問を予定している世帯はありません" in page.empty.text()
    assert not page.pdf_button.isEnabled()


def test_pdf_of_the_list(qtbot, ctx, village, tmp_path, monkeypatch):
    schedule(ctx, village)
    page = make_page(qtbot, ctx)
    assert default_pdf_path(TODAY).endswith(".pdf") and "訪問予定リスト_R" in default_pdf_path(TODAY)
    calls = []

    def fake_writer(path, council_name, day, rows, staff_name):
        calls.append((council_name, day, [r.head_name for r in rows], staff_name))
        with open(path, "wb") as f:
            f.write(b"%PDF-1.4\n")
        return path

    target = tmp_path / "訪問リスト"
    monkeypatch.setattr(watch_module, "load_route_writer", lambda: fake_writer)
    monkeypatch.setattr(watch_module, "ask_pdf_path", lambda parent, suggested: str(target))
    qtbot.mouseClick(page.pdf_button, Qt.MouseButton.LeftButton)
    assert calls == [("山里村社会福祉協議会", TODAY, ["山田 花子", "鈴木 一郎"], "管理 太郎")]
    assert (tmp_path / "訪問リスト.pdf").exists()
    assert "保存しました" in page.status.text()


def test_pdf_without_the_report_module(qtbot, ctx, village, monkeypatch):
    from shakyo_desk.ui import dialogs

    schedule(ctx, village)
    told = []
    monkeypatch.setattr(dialogs, "inform", lambda parent, title, text: told.append(text))
    monkeypatch.setattr(watch_module, "load_route_writer", lambda: None)
    page = make_page(qtbot, ctx)
    page.export_pdf()
    assert told and "PDF" in told[0]


def test_real_route_pdf_if_available(qtbot, ctx, village, tmp_path, monkeypatch):
    import pytest

    if watch_module.load_route_writer() is None:
        pytest.skip("reports.route_pdf not in this build")
    schedule(ctx, village)
    page = make_page(qtbot, ctx)
    monkeypatch.setattr(watch_module, "ask_pdf_path", lambda parent, suggested: str(tmp_path / "list.pdf"))
    page.export_pdf()
    assert (tmp_path / "list.pdf").read_bytes().startswith(b"%PDF")


def test_case_reviews_set_by_a_conference_are_listed(qtbot, ctx, village):
    from shakyo_desk.store.services import conferences
    from tests.store.conference_drafts import edit_conference

    h = village["households"]
    held = TODAY - timedelta(days=30)
    meeting = conferences.add_conference(ctx.store, "case-review", held, members=["佐藤 一/包括"],
                                         cases=[h["tanaka"], h["suzuki"]])
    cases = {c.household_id: c.id for c in conferences.get_conference(ctx.store, meeting, log=False).cases}
    edit_conference(ctx.store, meeting, case_changes={
        cases[h["tanaka"]]: {"next_review_on": TODAY - timedelta(days=2), "lead_agency": "地域包括支援センター"},
        cases[h["suzuki"]]: {"next_review_on": TODAY + timedelta(days=60)}})  # not due in this period
    page = make_page(qtbot, ctx)
    assert [r.household_id for r in page.review_rows] == [h["tanaka"]]
    assert page.reviews.item(0, 1).text() == "2日過ぎ"
    assert page.reviews.item(0, 5).text() == "地域包括支援センター"
    assert "1世帯" in page.reviews_label.text() and page.reviews.isVisibleTo(page)
    page.open_review(0)
    assert page.timeline is not None
    page.timeline.close()
