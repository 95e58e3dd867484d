"""Issue 19 on screen: the 担い手 tab (the register, households carried, the count per district
against the year's target), the supporter dialog (saves the real row; a refusal changes
nothing), the targets on the 設定 page, and a sheet's 「担い手に登録…」 (shown on yes or maybe,
pre-filled, linked to the sheet and the person)."""

import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.wareki import fiscal_year
from shakyo_desk.store.models import AuditLog, ChangeLog, Supporter
from shakyo_desk.store.services import households, sheets, supporters, ties
from shakyo_desk.ui.pages.community import CommunityPage
from shakyo_desk.ui.pages.settings import SettingsPage
from shakyo_desk.ui.sheet_detail import SheetDetailDialog
from shakyo_desk.ui.supporters_tab import SupportersTab
from tests.ui.helpers import type_text


def counts(store):
    with store.read() as s:
        return tuple(s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in (ChangeLog, AuditLog))


def this_year() -> int:
    return fiscal_year(clock.today(), 4)


def supporters_tab(qtbot, ctx) -> SupportersTab:
    page = CommunityPage(ctx)
    qtbot.addWidget(page)
    page.show()
    return page.show_tab("担い手")


def test_register_with_counts_against_the_target(qtbot, ctx, village):
    north, south = village["districts"]["north"], village["districts"]["south"]
    supporters.set_target(ctx.store, this_year(), 3, north)
    helper = supporters.add_supporter(ctx.store, "田中 一夫", district_id=north, can_do="声かけ", contact_consent=True,
                                      current_role="民生委員")
    for home in ("yamada", "suzuki", "tanaka"):
        ties.add_tie(ctx.store, village["households"][home], "見守り", supporter_id=helper)
    tab = supporters_tab(qtbot, ctx)
    assert "北地区 1 / 目標 3" in tab.counts_label.text()
    assert "年度の担い手と目標" in tab.year_label.text()
    assert [tab.table.item(0, c).text() for c in range(6)] == ["田中 一夫", "北地区", "声かけ", "あり", "民生委員", "3世帯"]

    dialog = tab.add()
    qtbot.addWidget(dialog)
    before = counts(ctx.store)
    dialog.save()  # no name
    assert "担い手の名前" in dialog.errors.text() and counts(ctx.store) == before
    type_text(qtbot, dialog.name, "佐藤 ミツ")
    dialog.district.setCurrentIndex(dialog.district.findData(south))
    dialog.can_do.setPlainText("ごみ出し")
    with qtbot.waitSignal(dialog.saved):
        dialog.save()
    by_name = {s.name: s for s in supporters.list_supporters(ctx.store)}
    assert (by_name["佐藤 ミツ"].district_id, by_name["佐藤 ミツ"].can_do, by_name["佐藤 ミツ"].contact_consent) == (
        south, "ごみ出し", False)
    assert tab.table.rowCount() == 2 and "南地区 1人" in tab.counts_label.text()

    tab.table.selectRow([tab.table.item(r, 0).text() for r in range(2)].index("佐藤 ミツ"))
    editing = tab.edit()
    qtbot.addWidget(editing)
    assert editing.name.text() == "佐藤 ミツ"
    editing.consent.setChecked(True)
    with qtbot.waitSignal(editing.saved):
        editing.save()
    assert supporters.get_supporter(ctx.store, by_name["佐藤 ミツ"].id).contact_consent


def test_staff_read_the_register_only(qtbot, ctx, village):
    from shakyo_desk.store.services.council import get_settings
    from shakyo_desk.ui.context import AppContext
    from tests.store.conftest import login_as

    supporters.add_supporter(ctx.store, "田中 一夫", district_id=village["districts"]["north"])
    staff = login_as(ctx.store, "kita", "staff", [village["districts"]["north"]])
    try:
        tab = SupportersTab(AppContext(store=staff, executor=ctx.executor, ui_settings=ctx.ui_settings,
                                       council=get_settings(staff), kdf=ctx.kdf))
        qtbot.addWidget(tab)
        tab.refresh()
        assert tab.table.rowCount() == 1 and tab.add() is None and not tab.add_button.isVisibleTo(tab)
        assert tab.set_targets() is None and not tab.targets_button.isVisibleTo(tab)
    finally:
        staff.close()


def test_a_coordinator_sets_the_target_on_the_supporters_tab(qtbot, ctx, village):
    from shakyo_desk.store.services.council import get_settings
    from shakyo_desk.ui.context import AppContext
    from tests.store.conftest import login_as

    north = village["districts"]["north"]
    coordinator = login_as(ctx.store, "sato", "coordinator", [])
    try:
        tab = SupportersTab(AppContext(store=coordinator, executor=ctx.executor, ui_settings=ctx.ui_settings,
                                       council=get_settings(coordinator), kdf=ctx.kdf))
        qtbot.addWidget(tab)
        tab.show()
        tab.refresh()
        assert tab.targets_button.isVisibleTo(tab) and "目標 12" not in tab.counts_label.text()
        dialog = tab.set_targets()
        qtbot.addWidget(dialog)
        section = dialog.section
        assert section.year.value() == this_year()
        section.district.setCurrentIndex(section.district.findData(north))
        section.target.setValue(12)
        section.save()
        assert section.notice.text() == "目標を保存しました。"
        dialog.reject()
        assert "北地区 0 / 目標 12" in tab.counts_label.text()
        with coordinator.read() as s:
            [row] = s.execute(sa.select(ChangeLog.staff_id).where(ChangeLog.entity == "supporter_target")).all()
        assert row.staff_id == coordinator.actor.staff_id
    finally:
        coordinator.close()


def test_targets_set_on_the_settings_page(qtbot, ctx, village):
    north = village["districts"]["north"]
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    section = page.targets
    assert section.year.value() == this_year() and "まだありません" in section.current.text()
    section.district.setCurrentIndex(section.district.findData(north))
    section.target.setValue(15)
    section.save()
    assert section.notice.text() == "目標を保存しました。" and "北地区 0 / 目標 15" in section.current.text()
    section.district.setCurrentIndex(0)  # 社協全体
    assert section.target.value() == 0
    section.target.setValue(40)
    section.save()
    targets = {c.district: c.target for c in supporters.counts(ctx.store, this_year())}
    assert (targets["北地区"], targets["社協全体"]) == (15, 40)
    section.district.setCurrentIndex(section.district.findData(north))
    assert section.target.value() == 15


def test_sheet_says_yes_register_as_supporter(qtbot, ctx, village):
    suzuki = village["households"]["suzuki"]
    wife = households.add_person(ctx.store, suzuki, "鈴木 花", kana="スズキ ハナ", relation="配偶者")
    sheet = sheets.file_sheet(ctx.store, household_id=suzuki, concerns=["介護"], person_of_concern="鈴木 花",
                              possible_supporter="サロンのお茶出しを手伝えそう")
    detail = SheetDetailDialog(ctx, sheet)
    qtbot.addWidget(detail)
    detail.show()
    assert detail.supporter_button.isVisibleTo(detail)
    detail.supporter_button.click()
    dialog = detail.sub_dialog
    qtbot.addWidget(dialog)
    assert (dialog.name.text(), dialog.kana.text(), dialog.district.currentData(), dialog.can_do.toPlainText()) == (
        "鈴木 花", "スズキ ハナ", village["districts"]["south"], "サロンのお茶出しを手伝えそう")
    assert dialog.origin.isVisibleTo(dialog)
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save()
    with ctx.store.read() as s:
        row = s.get(Supporter, saved.args[0])
        assert (row.sheet_id, row.person_id, row.name) == (sheet, wife, "鈴木 花")

    no = sheets.file_sheet(ctx.store, household_id=suzuki, concerns=["介護"], possible_supporter="なし")
    other = SheetDetailDialog(ctx, no)
    qtbot.addWidget(other)
    other.show()
    assert not other.supporter_button.isVisibleTo(other)
