"""配布資料 register, consent on the household editor, who sees the conference screens, and
conferences on the household timeline — on the demo village."""

from PySide6.QtCore import Qt, QUrl

from shakyo_desk.domain.roles import Role
from shakyo_desk.store.services import consents, handout_register, households
from shakyo_desk.store.services.conferences import household_conferences, list_conferences
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.services.districts import list_districts
from shakyo_desk.ui.conference_editor import ConferenceEditorDialog
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.household_editor import HouseholdEditorDialog
from shakyo_desk.ui.main_window import MainWindow
from shakyo_desk.ui.pages.handout_register import HandoutRegisterPage, copies_needing_action
from shakyo_desk.ui.pages.registry import pages_for
from shakyo_desk.ui.timeline import TimelineDialog
from tests.ui.demo_village import demo_ctx, demo_store, open_copy, village_template  # noqa: F401 - fixtures
from tests.ui.helpers import click


def make_register(qtbot, ctx):
    page = HandoutRegisterPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    return page


# ---- the register ------------------------------------------------------------------

def test_register_ticks_copies_collected(qtbot, demo_ctx):
    store = demo_ctx.store
    out = handout_register.uncollected(store)
    assert out, "the demo village has copies still out"
    page = make_register(qtbot, demo_ctx)
    assert page.view.currentData() == "uncollected"
    assert page.table.rowCount() == len(out)
    assert page.view.currentText().endswith(f"（{len(out)}部）")
    assert not page.collect_button.isEnabled()
    page.table.item(0, 0).setCheckState(Qt.CheckState.Checked)
    assert page.checked_label.text() == "1部にチェック"
    click(qtbot, page.collect_button)
    assert not page.errors.isVisible(), page.errors.text()
    assert "1部を回収済みにしました" in page.status.text()
    first = next(c for c in handout_register.copies_of(store, out[0].conference_id) if c.id == out[0].id)
    assert first.collected_on is not None
    assert page.table.rowCount() == len(out) - 1  # it left the list of copies still out


def test_register_bulk_destroy_past_retention_and_keyboard(qtbot, demo_ctx):
    store = demo_ctx.store
    past = handout_register.past_retention(store)
    page = make_register(qtbot, demo_ctx)
    page.view.setCurrentIndex(page.view.findData("past_retention"))
    assert page.table.rowCount() == len(past)
    if not past:
        assert page.stack.currentWidget() is page.empty
        return
    page.table.setFocus()
    page.table.selectRow(0)
    qtbot.keyClick(page.table, Qt.Key.Key_Space)
    assert len(page.checked_ids()) == 1
    click(qtbot, page.check_all)
    assert len(page.checked_ids()) == len(past)
    click(qtbot, page.destroy_button)
    assert handout_register.past_retention(store) == []
    assert page.stack.currentWidget() is page.empty


def test_register_per_conference_and_badge(qtbot, demo_ctx):
    store = demo_ctx.store
    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    window.show()
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    n = copies_needing_action(store)
    assert ("配布資料（%d）" % n if n else "配布資料") in titles
    page = window.show_page("handouts")
    with_copies = next(r for r in list_conferences(store) if handout_register.copies_of(store, r.id))
    page.show_conference(with_copies.id)
    assert page.view.currentData() == "conference" and page.conference.currentData() == with_copies.id
    assert page.table.rowCount() == len(handout_register.copies_of(store, with_copies.id))
    assert page.counts_label.text().startswith("この会議：")


# ---- consent on the household editor ---------------------------------------------------

def open_household(qtbot, ctx, household_id):
    detail = households.get_household(ctx.store, household_id)
    editor = HouseholdEditorDialog(ctx, detail, list_districts(ctx.store))
    qtbot.addWidget(editor)
    editor.show()
    return editor


def test_consent_add_and_withdraw_from_the_household_editor(qtbot, demo_ctx):
    store = demo_ctx.store
    household = households.list_households(store, "", None, 1)[0]
    editor = open_household(qtbot, demo_ctx, household.id)
    editor.member_tabs.setCurrentWidget(editor.consents)
    section = editor.consents
    before = len(consents.consents_of_household(store, household.id))
    assert section.table.rowCount() == before
    click(qtbot, section.add_button)
    dialog = section.dialog
    assert dialog is not None and dialog.isVisible()
    person_id = dialog.person.currentData()
    click(qtbot, dialog.save_button)  # nothing chosen: refused inline, nothing recorded
    assert dialog.errors.isVisible() and "1つ以上" in dialog.errors.text()
    dialog.scope.set_checked(["multi-agency", "support"])
    dialog.method.buttons["口頭"].click()
    dialog.other_agencies.setText("みどり村役場、まいさぽみどり")
    click(qtbot, dialog.save_button)
    stored = consents.consents_of(store, person_id)[0]
    assert stored.meeting_types == ("support", "multi-agency") and stored.method == "口頭"
    assert stored.agencies == ("みどり村役場", "まいさぽみどり")
    assert section.table.rowCount() == before + 1
    assert not editor.is_dirty()  # recorded at once; the household form itself did not change
    assert editor.member_tabs.tabText(1).startswith("本人同意（")

    row = [section.consents.index(c) for c in section.consents if c.id == stored.id][0]
    section.table.selectRow(row)
    assert section.withdraw_button.isEnabled()
    click(qtbot, section.withdraw_button)
    click(qtbot, section.dialog.save_button)
    assert consents.consents_of(store, person_id)[0].withdrawn_on is not None
    row = [section.consents.index(c) for c in section.consents if c.id == stored.id][0]
    assert section.table.item(row, 5).text().startswith("撤回")
    section.table.selectRow(row)
    assert not section.withdraw_button.isEnabled()


def staff_ctx(tmp_path_factory, tmp_path, executor, ui_settings, login):
    store = open_copy(village_template(tmp_path_factory), tmp_path / login, login)
    return AppContext(store=store, executor=executor, ui_settings=ui_settings, council=get_settings(store))


def test_staff_records_consent_but_sees_no_conference_screens(qtbot, tmp_path_factory, tmp_path, executor,
                                                               ui_settings):
    ctx = staff_ctx(tmp_path_factory, tmp_path, executor, ui_settings, "staff1")
    try:
        assert ctx.role == Role.STAFF
        keys = [p.key for p in pages_for(ctx.role)]
        assert "conferences" not in keys and "handouts" not in keys
        household = households.list_households(ctx.store, "", None, 1)[0]  # one of the staff's districts
        editor = open_household(qtbot, ctx, household.id)
        click(qtbot, editor.consents.add_button)
        dialog = editor.consents.dialog
        dialog.scope.set_checked(["multi-agency"])
        click(qtbot, dialog.save_button)
        assert not dialog.errors.isVisible(), dialog.errors.text()
        assert any(c.recorded_by == ctx.store.actor.staff_id
                   for c in consents.consents_of_household(ctx.store, household.id))
    finally:
        ctx.store.close()


def test_reporter_has_no_conference_pages():
    assert {p.key for p in pages_for(Role.REPORTER)} == {"sheets"}
    assert {"conferences", "handouts"} <= {p.key for p in pages_for(Role.COORDINATOR)}


# ---- timeline ----------------------------------------------------------------------------

def test_timeline_shows_conferences_with_a_link_for_coordinators(qtbot, demo_ctx):
    store = demo_ctx.store
    conference = next(r for r in list_conferences(store) if r.case_count)
    from shakyo_desk.store.services.conferences import get_conference

    case = get_conference(store, conference.id, log=False).cases[0]
    history = household_conferences(store, case.household_id)
    dialog = TimelineDialog(demo_ctx, case.household_id, case.head_name)
    qtbot.addWidget(dialog)
    dialog.show()
    html = dialog.view.toHtml()
    assert "［会議］" in dialog.view.toPlainText()
    assert f"conference:{history[0].conference_id}" in html and "会議を開く" in html
    dialog.view.anchorClicked.emit(QUrl(f"conference:{history[0].conference_id}"))
    editors = dialog.findChildren(ConferenceEditorDialog)
    assert editors and editors[0].detail.id == history[0].conference_id

