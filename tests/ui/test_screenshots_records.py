"""Renders the salon, sheet, referral and agency screens with realistic data
(30 regulars); saves PNGs when SHAKYO_SCREENSHOTS names a folder."""

from datetime import timedelta

from PySide6.QtCore import Qt

from shakyo_desk.store.services import agencies, referrals, salons, sheets
from shakyo_desk.ui.main_window import MainWindow
from shakyo_desk.ui.pages.referrals import OutcomeDialog, ReferralDialog
from shakyo_desk.ui.salon_session import SalonSessionDialog
from shakyo_desk.ui.sheet_detail import StatusDialog
from tests.ui.test_salons import make_salon_village
from tests.ui.test_screenshots import save as save_now
from shakyo_desk.domain import clock


def test_screenshots_records(qtbot, ctx, village):
    def save(widget, name):
        qtbot.wait(30)  # let pending layout requests run, as the event loop would
        save_now(widget, name)

    store = ctx.store
    today = clock.today()
    sv = make_salon_village(store)
    people = sv["people"]
    for weeks in (8, 6, 4, 2):
        came = [p for i, p in enumerate(people) if i % 7 != 3 and (weeks == 8 or p not in people[:2])]
        salons.record_session(store, sv["salon"], today - timedelta(weeks=weeks), attendee_ids=came, unnamed_count=3,
                              activities="体操、お茶会、歌", helpers="世話人 佐藤さん、民生委員 鈴木さん",
                              remarks=[{"text": "灯油が高くて、ストーブをあまりつけていないと話していた",
                                        "person_id": people[5]}, "最近、バスの本数が減って通院が大変"]
                              if weeks == 2 else [])
    salons.add_salon(store, "下町お茶のみ会", village["districts"]["south"], venue="下町集会所", organiser="社協直営",
                     schedule="毎週木曜 13時半〜", fee_yen=0, transport="なし")
    houkatsu = agencies.add_agency(store, "山里村地域包括支援センター", kana="やまざとむらちいきほうかつしえんせんたー",
                                   field="高齢", contact="主任ケアマネ 山本さん", phone="0000-11-2222",
                                   services="介護保険の申請、高齢者の総合相談、権利擁護")
    maisapo = agencies.add_agency(store, "まいさぽ山里", kana="まいさぽやまざと", field="生活困窮", phone="0000-11-3333",
                                  services="家計の相談、就労支援")
    agencies.add_agency(store, "山里村役場 福祉課", kana="やまざとむらやくば", field="行政", phone="0000-11-0001")
    h = village["households"]
    urgent = sheets.file_sheet(store, noticed_on=today - timedelta(days=2), setting="介護現場", source="訪問介護のヘルパー",
                               household_id=h["yamada"], person_of_concern="同居の息子さん（50代）",
                               concerns=["8050", "ひきこもり", "生活費・借金"], urgency="緊急",
                               connected_agencies=[houkatsu], wish_for_help="不明",
                               situation="母親の年金で暮らしている様子。電気が止まりかけていると母親が話した。",
                               strengths="母親は近所づきあいがある", possible_supporter="息子さんは機械いじりが得意",
                               suggested_handoff="まいさぽ山里")
    sheets.file_sheet(store, noticed_on=today - timedelta(days=12), setting="店", household_hint="南地区の商店の裏の家",
                      concerns=["孤立"], urgency="見守り", situation="最近、買い物に来なくなった")
    soon = sheets.file_sheet(store, noticed_on=today - timedelta(days=6), setting="民生委員", household_id=h["suzuki"],
                             concerns=["介護", "認知症"], urgency="早め", situation="同じ物を何度も買っている")
    sheets.change_status(store, soon, "確認中", note="民生委員と訪問予定")
    sheets.change_status(store, urgent, "確認中", changed_on=today - timedelta(days=1), note="電話で母親と話した")
    referrals.add_referral(store, maisapo, "家計と就労の相談", household_id=h["yamada"], sheet_id=urgent,
                           referred_on=today - timedelta(days=20), follow_up_on=today - timedelta(days=3))
    referrals.add_referral(store, houkatsu, "介護保険の申請", household_id=h["suzuki"], referred_on=today,
                           follow_up_on=today + timedelta(days=14))

    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    page = window.show_page("salons")
    page.table.selectRow([page.table.item(r, 0).text() for r in range(page.table.rowCount())].index("上町ふれあいサロン"))
    save(window, "20_salons")

    dialog = SalonSessionDialog(ctx, page.current_salon(), page.regulars, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    for check in dialog.checks[:22]:
        check.setChecked(True)
    dialog.unnamed.setValue(3)
    dialog.activities.setText("体操、お茶会")
    dialog.find.setText("yama")
    row = dialog.add_newcomer("新井 ミチ", "アライ ミチ")
    remark = dialog.add_remark("膝が痛くて、来月は来られないかもしれないと話していた", people[3])
    assert row and remark
    save(dialog, "21_salon_session")
    dialog.resize(1024, 700)
    save(dialog, "21b_salon_session_small")
    dialog.done(0)

    correction = page.correct_session()
    qtbot.addWidget(correction)
    save(correction, "22_salon_session_correction")
    correction.done(0)

    page.edit_regulars()
    save(page.dialog, "23_salon_regulars")
    page.dialog.done(0)
    page.new_salon()
    save(page.dialog, "24_salon_new")
    page.dialog.done(0)

    page.remarks.setCurrentRow(0)
    qtbot.mouseClick(page.to_sheet_button, Qt.MouseButton.LeftButton)
    save(page.sheet_form, "25_sheet_form_from_remark")
    page.sheet_form.done(0)

    sheets_page = window.show_page("sheets")
    save(window, "26_sheets_inbox")
    form = sheets_page.new_sheet()
    save(form, "27_sheet_form")
    form.done(0)
    detail = sheets_page.open_sheet(urgent)
    qtbot.addWidget(detail)
    save(detail, "28_sheet_detail")
    status = StatusDialog(detail.sheet, "つないだ", detail.agencies, detail)
    qtbot.addWidget(status)
    status.show()
    save(status, "29_sheet_status")
    status.done(0)
    referral = ReferralDialog(ctx, detail.agencies, household_id=h["yamada"], household_name="山田 花子",
                              sheet_id=urgent, parent=detail)
    qtbot.addWidget(referral)
    referral.show()
    save(referral, "30_referral_new")
    referral.done(0)
    outcome = OutcomeDialog(ctx, detail.referrals[0], detail)
    qtbot.addWidget(outcome)
    outcome.show()
    save(outcome, "31_referral_outcome")
    outcome.done(0)
    detail.done(0)

    window.show_page("referrals")
    save(window, "32_referrals")
    window.show_page("agencies")
    save(window, "33_agencies")
    window.idle.stop()
