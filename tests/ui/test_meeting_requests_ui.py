"""Issue 18 item 6 (screens): a case put forward for a meeting from the case detail (受付表), the
request collected in the meeting's editor, a case's members limited (the handout check's
warning changes), a topic-only 支援会議, and a 委嘱 added and ended from the 会議 page. The day
is the pinned test day; nothing reads the wall clock."""

from datetime import timedelta

from PySide6.QtCore import Qt

from shakyo_desk.domain import clock
from shakyo_desk.domain.wareki import format_wareki, format_wareki_short
from shakyo_desk.reports.handouts import check_handout
from shakyo_desk.store.services import appointments, cases, conferences, consents, households, meeting_requests
from shakyo_desk.ui.case_detail import CaseDetailDialog
from shakyo_desk.ui.pages.conferences import ConferencesPage
from tests.ui.helpers import click, type_text

TODAY = clock.today()
MEETING = TODAY + timedelta(days=7)


def open_editor(qtbot, ctx, conference_id):
    page = ConferencesPage(ctx)
    qtbot.addWidget(page)
    page.open_conference(conference_id)
    editor = page.editor
    qtbot.addWidget(editor)
    return page, editor


def test_a_case_is_put_forward_from_its_detail_and_withdrawn(qtbot, ctx, village, answers):
    store = ctx.store
    case_id = cases.open_case(store, village["households"]["yamada"])
    detail = CaseDetailDialog(ctx, case_id, today=TODAY)
    qtbot.addWidget(detail)
    detail.show()
    panel = detail.requests
    assert panel.table.rowCount() == 0 and not panel.withdraw_button.isEnabled()

    click(qtbot, detail.request_button)
    dialog = panel.dialog
    assert dialog.person.currentText().startswith("山田 花子")  # the head, no one recorded as 本人
    dialog.meeting_type.setCurrentIndex(dialog.meeting_type.findData("support"))
    click(qtbot, dialog.ok_button)  # no question: refused, nothing written
    assert "検討したいこと" in dialog.errors.text() and meeting_requests.requests_of_case(store, case_id) == []
    type_text(qtbot, dialog.question, "見守りの分担を決めたい")
    type_text(qtbot, dialog.involved.other, "役場 福祉課、地域包括支援センター")
    click(qtbot, dialog.ok_button)
    assert not dialog.isVisible()
    [request] = meeting_requests.requests_of_case(store, case_id)
    assert (request.meeting_type, request.question, request.agencies_involved) == (
        "support", "見守りの分担を決めたい", ("役場 福祉課", "地域包括支援センター"))
    assert request.person_id == households.get_household(store, village["households"]["yamada"], log=False).members[0].id
    assert panel.table.rowCount() == 1 and panel.table.item(0, 3).text() == "受付中"
    assert detail.tabs.currentWidget() is panel  # the new request in view

    replies, asked = answers
    panel.table.selectRow(0)
    replies.append(False)  # declined: still waiting
    click(qtbot, panel.withdraw_button)
    assert meeting_requests.get_request(store, request.id).pending and "取り下げますか" in asked[-1]
    click(qtbot, panel.withdraw_button)
    assert meeting_requests.get_request(store, request.id).withdrawn_on == TODAY
    assert panel.table.item(0, 3).text() == "取り下げ" and not panel.withdraw_button.isEnabled()


def test_the_editor_collects_a_waiting_request_into_a_recorded_meeting(qtbot, ctx, village):
    store = ctx.store
    yamada, suzuki = village["households"]["yamada"], village["households"]["suzuki"]
    case_id = cases.open_case(store, yamada)
    request = meeting_requests.request_meeting(store, case_id, "support", "見守りの分担を決めたい", today=TODAY)
    conference_id = conferences.add_conference(store, "support", MEETING, members=["田中 太郎/地域包括支援センター"],
                                               cases=[suzuki], today=TODAY)
    _page, editor = open_editor(qtbot, ctx, conference_id)
    editor.show_tab("ケース")
    click(qtbot, editor.requests_button)
    picker = editor.request_picker
    assert picker.list.count() == 1 and "見守りの分担を決めたい" in picker.list.item(0).text()
    picker.ok_button.click()
    assert [c["household_id"] for c in editor.cases] == [suzuki, yamada]
    assert editor.question.toPlainText() == "見守りの分担を決めたい"
    assert meeting_requests.get_request(store, request).pending  # nothing written before 保存
    click(qtbot, editor.save_button)
    assert not editor.errors.isVisible(), editor.errors.text()
    stored = conferences.get_conference(store, conference_id, log=False)
    assert [(c.household_id, c.request_id, c.case_id) for c in stored.cases] == [
        (suzuki, None, None), (yamada, request, case_id)]
    assert meeting_requests.get_request(store, request).conference_id == conference_id

    # taken off again (confirmed): the request waits for a meeting once more
    editor.case_list.setCurrentRow(1)
    click(qtbot, editor.remove_case_button)
    click(qtbot, editor.save_button)
    assert [c.household_id for c in conferences.get_conference(store, conference_id, log=False).cases] == [suzuki]
    assert meeting_requests.get_request(store, request).pending


def test_limiting_a_case_to_covered_members_clears_the_handout_warning(qtbot, ctx, village):
    store = ctx.store
    yamada = village["households"]["yamada"]
    head = households.get_household(store, yamada, log=False).members[0].id
    conference_id = conferences.add_conference(
        store, "multi-agency", MEETING, members=["田中 太郎/地域包括支援センター", "鈴木 花子/役場"], cases=[yamada],
        today=TODAY)
    consents.add_consent(store, head, ["multi-agency"], agencies=["地域包括支援センター"], given_on=TODAY, today=TODAY)
    assert [s.member_label for s in check_handout(store, conference_id, TODAY).uncovered] == ["鈴木 花子（役場）"]
    _page, editor = open_editor(qtbot, ctx, conference_id)
    editor.handout.run_check()
    assert "鈴木 花子（役場）さん" in editor.handout.state.text() and "このケースを載せません" in editor.handout.state.text()
    editor.show_tab("ケース")
    editor.case_list.setCurrentRow(0)
    assert editor.seat_list.count() == 2 and editor.seat_list.checked() == []  # none ticked: everyone sits
    editor.seat_list.item(0).setCheckState(Qt.CheckState.Checked)
    assert editor.seat_list.checked() == [("田中 太郎", "地域包括支援センター")]
    click(qtbot, editor.save_button)
    assert not editor.errors.isVisible(), editor.errors.text()
    [case] = conferences.get_conference(store, conference_id, log=False).cases
    assert case.limited and len(case.member_ids) == 1
    assert check_handout(store, conference_id, TODAY).uncovered == []
    editor.handout.run_check()
    assert "このケースを載せません" not in editor.handout.state.text()
    editor.case_list.setCurrentRow(0)
    assert editor.seat_list.checked() == [("田中 太郎", "地域包括支援センター")]  # shown as saved


def test_a_topic_only_support_meeting_held_by_an_existing_body(qtbot, ctx, village):
    store = ctx.store
    _page, editor = open_editor(qtbot, ctx, None)
    editor.meeting_type.set_value("case-review")
    assert not editor.topic.isVisibleTo(editor)
    editor.meeting_type.set_value("support")
    assert editor.topic.isVisibleTo(editor)
    editor.held_on.set_date(MEETING)
    editor.show_tab("構成員")
    type_text(qtbot, editor.new_member_name, "田中 太郎")
    click(qtbot, editor.add_member_button)
    click(qtbot, editor.save_button)  # neither a household nor a topic
    assert "検討するテーマ" in editor.errors.text() and conferences.list_conferences(store) == []
    editor.show_tab("会議の内容")
    type_text(qtbot, editor.topic, "冬の買い物の足をどう確保するか")
    type_text(qtbot, editor.body, "地域ケア会議")
    click(qtbot, editor.save_button)
    assert not editor.errors.isVisible(), editor.errors.text()
    stored = conferences.get_conference(store, editor.detail.id, log=False)
    assert (stored.meeting_type, stored.topic, stored.body, stored.cases) == (
        "support", "冬の買い物の足をどう確保するか", "地域ケア会議", ())


def test_an_appointment_is_added_shown_in_the_editor_and_ended(qtbot, ctx, village, answers):
    store = ctx.store
    start, end = TODAY - timedelta(days=30), TODAY + timedelta(days=300)
    page = ConferencesPage(ctx, today=TODAY)
    qtbot.addWidget(page)
    click(qtbot, page.appointments_button)
    dialog = page.appointments
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 0
    click(qtbot, dialog.add_button)
    form = dialog.add_dialog
    type_text(qtbot, form.name, "山本 和子")
    form.organisation.setCurrentText("民生委員児童委員協議会")
    form.valid_from.set_date(start)
    click(qtbot, form.ok_button)  # no end date: refused, nothing written
    assert "終了日" in form.errors.text() and appointments.list_appointments(store) == []
    form.valid_to.set_date(end)
    form.pledge_on.set_date(start)
    click(qtbot, form.ok_button)
    assert not form.isVisible(), form.errors.text()
    assert dialog.table.rowCount() == 1
    assert [dialog.table.item(0, c).text() for c in range(6)] == [
        "山本 和子", "民生委員児童委員協議会", "支援会議", f"{format_wareki_short(start)}〜{format_wareki_short(end)}",
        format_wareki_short(start), "委嘱中"]
    assert dialog.table.item(0, 3).toolTip() == f"{format_wareki(start)}〜{format_wareki(end)}"

    conference_id = conferences.add_conference(store, "support", MEETING, members=["山本 和子/民生委員児童委員協議会"],
                                               cases=[village["households"]["yamada"]], today=TODAY)
    _page, editor = open_editor(qtbot, ctx, conference_id)
    assert editor.member_table.item(0, 2).text() == f"委嘱（〜{format_wareki(end)}）"
    assert "未確認" not in editor.tabs.tabText(editor._tab_of(editor.member_table))

    replies, asked = answers
    dialog.table.selectRow(0)
    replies.append(False)
    click(qtbot, dialog.end_button)
    assert appointments.list_appointments(store)[0].ended_on is None and "委嘱を、今日" in asked[-1]
    click(qtbot, dialog.end_button)
    assert appointments.list_appointments(store)[0].ended_on == TODAY
    assert dialog.table.item(0, 5).text() == f"終了（{format_wareki_short(TODAY)}）"
    assert not dialog.end_button.isEnabled()


def test_a_new_meeting_takes_requests_when_it_is_first_saved(qtbot, ctx, village):
    store = ctx.store
    yamada, suzuki = village["households"]["yamada"], village["households"]["suzuki"]
    first = meeting_requests.request_meeting(store, cases.open_case(store, yamada), "support", "見守りの分担",
                                             today=TODAY)
    second = meeting_requests.request_meeting(store, cases.open_case(store, suzuki), "support", "買い物の手段",
                                              today=TODAY)
    _page, editor = open_editor(qtbot, ctx, None)
    editor.meeting_type.set_value("support")
    editor.held_on.set_date(MEETING)
    type_text(qtbot, editor.new_member_name, "田中 太郎")
    click(qtbot, editor.add_member_button)
    click(qtbot, editor.requests_button)
    picker = editor.request_picker
    assert picker.list.count() == 2
    picker.list.item(1).setCheckState(Qt.CheckState.Unchecked)  # only the first this time
    picker.ok_button.click()
    assert [c["household_id"] for c in editor.cases] == [yamada] and "受付表" in editor.case_list.item(0).text()
    click(qtbot, editor.save_button)
    assert not editor.errors.isVisible(), editor.errors.text()
    [case] = conferences.get_conference(store, editor.detail.id, log=False).cases
    assert case.request_id == first
    assert [r.id for r in meeting_requests.pending_requests(store, "support")] == [second]


def test_an_appointment_counts_only_for_meetings_in_its_period(qtbot, ctx, village):
    store = ctx.store
    appointments.add_appointment(store, "山本 和子", "民生委員", "support", TODAY - timedelta(days=10),
                                 MEETING, TODAY - timedelta(days=10), today=TODAY)
    conference_id = conferences.add_conference(store, "support", MEETING, members=["山本 和子/民生委員"],
                                               cases=[village["households"]["yamada"]], today=TODAY)
    _page, editor = open_editor(qtbot, ctx, conference_id)
    assert editor.member_table.item(0, 2).text().startswith("委嘱")
    editor.held_on.set_date(MEETING + timedelta(days=1))  # after the appointment's period
    assert editor.member_table.item(0, 2).text() == "未確認"
    assert "未確認1" in editor.tabs.tabText(editor._tab_of(editor.member_table))


def test_a_closed_case_is_not_put_forward(qtbot, ctx, village):
    store = ctx.store
    case_id = cases.open_case(store, village["households"]["tanaka"])
    cases.close_case(store, case_id, "転居", "転居先の社協に引き継いだ", today=TODAY)
    detail = CaseDetailDialog(ctx, case_id, today=TODAY)
    qtbot.addWidget(detail)
    assert not detail.requests.request_button.isEnabled()
    click(qtbot, detail.request_button)  # the side button: the tab comes forward with the reason
    assert detail.requests.dialog is None and detail.tabs.currentWidget() is detail.requests
    assert "終結" in detail.requests.errors.text()
