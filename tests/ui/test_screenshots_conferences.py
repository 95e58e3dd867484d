"""Renders the conference, handout, register and consent screens on the demo village; saves
PNGs when SHAKYO_SCREENSHOTS names a folder."""

from shakyo_desk.reports.handouts import check_handout
from shakyo_desk.store.services import conferences, households
from shakyo_desk.store.services.districts import list_districts
from shakyo_desk.ui.consent_widgets import WithdrawConsentDialog
from shakyo_desk.ui.household_editor import HouseholdEditorDialog
from shakyo_desk.ui.main_window import MainWindow
from shakyo_desk.ui.pdf_preview import qtpdf_available
from shakyo_desk.ui.timeline import TimelineDialog
from tests.ui.demo_village import demo_ctx, demo_store  # noqa: F401 - fixtures
from tests.ui.test_screenshots import save as save_now


def test_screenshots_conferences(qtbot, demo_ctx):
    def save(widget, name):
        qtbot.wait(30)  # let pending layout requests run, as the event loop would
        save_now(widget, name)

    store = demo_ctx.store
    rows = conferences.list_conferences(store)
    ready = next(r for r in rows if r.meeting_type == "support" and check_handout(store, r.id).ok and r.case_count > 1)
    refused = next(r for r in rows if check_handout(store, r.id).missing_consent)

    window = MainWindow(demo_ctx)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    page = window.show_page("conferences")
    save(window, "40_conferences")

    page.open_conference(ready.id)
    editor = page.editor  # a child of the page, deleted when closed
    save(editor, "41_conference_basic")
    for tab, name in (("構成員", "42_conference_members"), ("ケース", "43_conference_cases"),
                      ("議事録", "44_conference_minutes"), ("資料に載せる項目", "45_conference_disclosures"),
                      ("会議資料", "46_conference_handout")):
        editor.show_tab(tab)
        save(editor, name)
    if qtpdf_available():
        editor.handout.preview_button.click()
        preview = editor.handout.preview
        qtbot.wait(400)  # QPdfView renders its pages in the background
        save(preview, "47_handout_preview")
        preview.reject()
    editor.reject()

    page.open_conference(refused.id, tab="会議資料")
    editor = page.editor  # a child of the page, deleted when closed
    save(editor, "48_handout_refused")
    editor.handout.show_refusal()
    save(editor.handout.refusal, "49_consent_refusal")
    editor.handout.refusal.reject()
    editor.reject()

    page.new_conference()
    editor = page.editor  # a child of the page, deleted when closed
    save(editor, "50_conference_new")
    editor.show_tab("ケース")
    save(editor, "51_conference_new_cases")
    editor.reject()

    window.show_page("handouts")
    save(window, "52_handout_register")

    case = conferences.get_conference(store, refused.id, log=False).cases[0]
    detail = households.get_household(store, case.household_id)
    household_editor = HouseholdEditorDialog(demo_ctx, detail, list_districts(store), parent=window)
    qtbot.addWidget(household_editor)
    household_editor.show()
    household_editor.member_tabs.setCurrentWidget(household_editor.consents)
    save(household_editor, "53_household_consents")
    household_editor.consents.add_consent(detail.members[0].id)
    dialog = household_editor.consents.dialog
    dialog.scope.set_checked(["multi-agency"])
    save(dialog, "54_consent_add")
    dialog.reject()
    if household_editor.consents.consents:
        withdraw = WithdrawConsentDialog(demo_ctx, household_editor.consents.consents[0], household_editor)
        qtbot.addWidget(withdraw)
        withdraw.show()
        save(withdraw, "55_consent_withdraw")
    household_editor.reject()

    timeline = TimelineDialog(demo_ctx, case.household_id, case.head_name, window)
    qtbot.addWidget(timeline)
    timeline.show()
    for kind, box in timeline.kind_boxes.items():
        box.setChecked(kind == "conference")
    save(timeline, "56_timeline_conferences")
    assert timeline.entries and all(e.kind == "conference" for e in timeline.entries)
