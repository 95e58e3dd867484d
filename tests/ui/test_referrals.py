from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from shakyo_desk.store.services import agencies, referrals
from shakyo_desk.ui.field_widgets import HouseholdPickDialog
from shakyo_desk.ui.pages.agencies import AgenciesPage
from shakyo_desk.ui.pages.referrals import ReferralsPage
from tests.ui.helpers import type_text
from shakyo_desk.domain import clock


def make_page(qtbot, ctx, cls=ReferralsPage):
    page = cls(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    page.refresh()
    return page


def test_overdue_follow_ups_and_outcome(qtbot, ctx, village):
    agency = agencies.add_agency(ctx.store, "まいさぽ山里", field="生活困窮")
    today = clock.today()
    h = village["households"]
    overdue = referrals.add_referral(ctx.store, agency, "家計の相談", household_id=h["yamada"],
                                     referred_on=today - timedelta(days=20), follow_up_on=today - timedelta(days=6))
    referrals.add_referral(ctx.store, agency, "就労の相談", household_id=h["suzuki"], referred_on=today,
                           follow_up_on=today + timedelta(days=14))
    page = make_page(qtbot, ctx)
    assert page.overdue_table.rowCount() == 1 and page.table.rowCount() == 2
    assert page.overdue_box.title() == "確認が必要なつなぎ（1件）"
    assert page.overdue_table.item(0, 1).text() == "山田 花子" and page.overdue_table.item(0, 2).text() == "まいさぽ山里"

    page.overdue_table.selectRow(0)
    qtbot.mouseClick(page.overdue_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    qtbot.addWidget(dialog)
    assert "家計の相談" in dialog.findChildren(type(page.overdue_empty))[0].text()
    dialog.outcome.setCurrentText("つながらなかった")
    type_text(qtbot, dialog.note, "本人が電話に出ない")
    dialog.again.setChecked(True)
    with qtbot.waitSignal(dialog.saved):
        dialog.save()
    r = next(r for r in referrals.list_referrals(ctx.store) if r.id == overdue)
    assert (r.outcome, r.outcome_note) == ("つながらなかった", "本人が電話に出ない")
    assert r.follow_up_on == today + timedelta(days=14)
    assert page.overdue_table.rowCount() == 0 and page.overdue_empty.isVisibleTo(page)


def test_new_referral_from_page(qtbot, ctx, village, monkeypatch):
    agency = agencies.add_agency(ctx.store, "山里村役場 福祉課", field="行政")
    page = make_page(qtbot, ctx)
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    qtbot.addWidget(dialog)
    dialog.agency.setCurrentIndex(dialog.agency.findData(agency))
    type_text(qtbot, dialog.reason, "住まいの相談")
    dialog.save()
    assert "世帯" in dialog.errors.text()  # neither a household nor a sheet yet

    def pick(d):
        type_text(qtbot, d.picker.search, "すずき")
        d.picker.run_search()
        d._accept()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(HouseholdPickDialog, "exec", pick)
    qtbot.mouseClick(dialog.pick_button, Qt.MouseButton.LeftButton)
    dialog.use_follow_up.setChecked(False)
    with qtbot.waitSignal(dialog.saved):
        dialog.save()
    [r] = referrals.list_referrals(ctx.store)
    assert r.household_id == village["households"]["suzuki"] and r.follow_up_on is None
    assert page.table.rowCount() == 1


def test_agencies_add_and_edit(qtbot, ctx):
    page = make_page(qtbot, ctx, AgenciesPage)
    assert page.table.rowCount() == 0
    page.save()
    assert "機関名" in page.errors.text()
    type_text(qtbot, page.name, "山里村地域包括支援センター")
    type_text(qtbot, page.kana, "やまざとむらちいきほうかつ")
    page.field.setCurrentIndex(page.field.findData("高齢"))
    type_text(qtbot, page.phone, "0000-11-2222")
    type_text(qtbot, page.services, "介護保険の申請、総合相談")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert page.table.rowCount() == 1 and page.name.text() == ""
    [a] = agencies.list_agencies(ctx.store)
    assert (a.field, a.phone, a.services) == ("高齢", "0000-11-2222", "介護保険の申請、総合相談")

    page.table.selectRow(0)
    assert page.name.text() == "山里村地域包括支援センター" and page.save_button.text() == "変更を保存"
    page.contact.setText("主任ケアマネ 山本さん")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    [a] = agencies.list_agencies(ctx.store)
    assert a.contact == "主任ケアマネ 山本さん"


def test_timeline_opens_from_the_referral_list(qtbot, ctx, village):
    agency = agencies.add_agency(ctx.store, "まいさぽ山里", field="生活困窮")
    referrals.add_referral(ctx.store, agency, "家計の相談", household_id=village["households"]["yamada"])
    page = make_page(qtbot, ctx)
    page.table.selectRow(0)
    qtbot.mouseClick(page.timeline_button, Qt.MouseButton.LeftButton)
    qtbot.addWidget(page.timeline)
    assert "山田 花子" in page.timeline.heading.text()
    assert [e.kind for e in page.timeline.entries] == ["referral"]
