from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from shakyo_desk.domain.roles import Role
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import accounts, districts, households, salons
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.store import unlock
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.pages.registry import pages_for
from shakyo_desk.ui.pages.salons import SalonsPage, sees_absences
from shakyo_desk.ui.salon_session import reading_keys
from shakyo_desk.ui.sheet_form import SheetFormDialog
from tests.ui.helpers import type_text
from shakyo_desk.domain import clock

PEOPLE = [
    ("山田 ハル", "ヤマダ ハル"), ("佐藤 キヨ", "サトウ キヨ"), ("鈴木 トメ", "スズキ トメ"), ("高橋 マツ", "タカハシ マツ"),
    ("田中 ウメ", "タナカ ウメ"), ("伊藤 シズ", "イトウ シズ"), ("渡辺 フミ", "ワタナベ フミ"), ("中村 タケ", "ナカムラ タケ"),
    ("小林 ハナ", "コバヤシ ハナ"), ("加藤 ヨシ", "カトウ ヨシ"), ("吉田 イネ", "ヨシダ イネ"), ("山本 ミツ", "ヤマモト ミツ"),
    ("松本 キク", "マツモト キク"), ("井上 スミ", "イノウエ スミ"), ("木村 テル", "キムラ テル"), ("林 ノブ", "ハヤシ ノブ"),
    ("清水 サダ", "シミズ サダ"), ("山崎 カツ", "ヤマザキ カツ"), ("森 チヨ", "モリ チヨ"), ("池田 トシ", "イケダ トシ"),
    ("橋本 ツル", "ハシモト ツル"), ("阿部 ナカ", "アベ ナカ"), ("石川 ミヨ", "イシカワ ミヨ"), ("山下 ヒデ", "ヤマシタ ヒデ"),
    ("中島 セツ", "ナカジマ セツ"), ("石井 コウ", "イシイ コウ"), ("小川 リン", "オガワ リン"), ("前田 サキ", "マエダ サキ"),
    ("岡田 ユキ", "オカダ ユキ"), ("長谷川 ふく", "ハセガワ フク"),
]


def make_salon_village(store, n=30):
    district = districts.add_district(store, "上町", "かみまち")
    person_ids = []
    for name, kana in PEOPLE[:n]:
        hid = households.add_household(store, district, name, kana)
        person_ids.append(households.get_household(store, hid, log=False).members[0].id)
    salon = salons.add_salon(store, "上町ふれあいサロン", district, venue="上町公民館", organiser="住民主体",
                             schedule="毎月第2・第4火曜 10時〜12時", fee_yen=100, transport="送迎あり（要予約）")
    salons.set_regulars(store, salon, person_ids)
    return {"district": district, "salon": salon, "people": person_ids}


@pytest.fixture
def salon_village(store):
    return make_salon_village(store)


def make_page(qtbot, ctx):
    page = SalonsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    page.refresh()
    return page


def check_named(dialog, name):
    return next(c for c in dialog.checks if c.regular.name == name)


def test_salon_list_shows_register(qtbot, ctx, salon_village):
    page = make_page(qtbot, ctx)
    assert page.table.rowCount() == 1
    texts = [page.table.item(0, c).text() for c in range(page.table.columnCount())]
    assert texts == ["上町ふれあいサロン", "上町", "上町公民館", "住民主体", "毎月第2・第4火曜 10時〜12時", "100円", "30人"]
    assert page.session_button.isEnabled()


def test_register_and_edit_salon(qtbot, ctx, salon_village):
    page = make_page(qtbot, ctx)
    page.new_salon()
    dialog = page.dialog
    qtbot.addWidget(dialog)
    dialog._submit()
    assert "サロン名" in dialog.errors.text()
    type_text(qtbot, dialog.name, "下町お茶のみ会")
    dialog.organiser.set_value("社協直営")
    dialog.fee.setValue(0)
    dialog._submit()
    assert not dialog.isVisible()
    names = {s.name: s for s in salons.list_salons(ctx.store)}
    assert names["下町お茶のみ会"].organiser == "社協直営" and names["下町お茶のみ会"].fee_yen == 0
    assert page.table.rowCount() == 2


def test_session_screen_clicks_space_newcomer_remark(qtbot, ctx, salon_village):
    page = make_page(qtbot, ctx)
    dialog = page.new_session()
    qtbot.addWidget(dialog)
    assert len(dialog.checks) == 30
    # sorted by kana: アベ first, ワタナベ last
    assert dialog.checks[0].regular.name == "阿部 ナカ" and dialog.checks[-1].regular.name == "渡辺 フミ"
    assert "令和" in dialog.session_date.wareki.text()

    # mouse: click a few names
    for name in ("山田 ハル", "佐藤 キヨ", "鈴木 トメ"):
        qtbot.mouseClick(check_named(dialog, name), Qt.MouseButton.LeftButton)
    # keyboard: Space toggles the focused one, arrows move
    first = dialog.checks[0]
    first.setFocus()
    qtbot.keyClick(first, Qt.Key.Key_Space)
    assert first.isChecked()
    qtbot.keyClick(first, Qt.Key.Key_Down)
    assert dialog.focusWidget() is dialog.checks[1]
    qtbot.keyClick(dialog.checks[1], Qt.Key.Key_Space)
    # type-to-jump: romaji typed on a name goes to the search field; Enter ticks the match
    qtbot.keyClicks(dialog.checks[1], "kob")
    assert dialog.focusWidget() is dialog.find and dialog._match.regular.name == "小林 ハナ"
    qtbot.keyClick(dialog.find, Qt.Key.Key_Return)
    assert check_named(dialog, "小林 ハナ").isChecked() and dialog.find.text() == ""
    type_text(qtbot, dialog.find, "もり")
    qtbot.keyClick(dialog.find, Qt.Key.Key_Return)
    assert check_named(dialog, "森 チヨ").isChecked()
    assert dialog.isVisible()  # Enter never saved the dialog
    ticked = {c.regular.person_id for c in dialog.checks if c.isChecked()}
    assert len(ticked) == 7

    dialog.unnamed.setValue(4)
    type_text(qtbot, dialog.activities, "体操とお茶会")
    qtbot.mouseClick(dialog.add_newcomer_button, Qt.MouseButton.LeftButton)
    type_text(qtbot, dialog.newcomer_rows[0].name, "新井 ミチ")
    type_text(qtbot, dialog.newcomer_rows[0].kana, "アライ ミチ")
    assert dialog.total.text() == "参加 12人（名前あり 8人＋その他 4人）"
    qtbot.mouseClick(dialog.add_remark_button, Qt.MouseButton.LeftButton)
    remark = dialog.remark_rows[0]
    type_text(qtbot, remark.text, "夜に眠れないと話していた")
    remark.person.setCurrentIndex(remark.person.findData(salon_village["people"][0]))

    with qtbot.waitSignal(dialog.saved) as blocker:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    session = salons.get_session(ctx.store, blocker.args[0])
    assert session.total == 12 and session.unnamed_count == 4 and len(session.attendee_ids) == 8
    assert ticked <= set(session.attendee_ids)
    assert session.activities == "体操とお茶会"
    assert [r[1] for r in session.remarks] == ["夜に眠れないと話していた"]
    # the newcomer is registered and now a regular
    regular_names = [r.name for r in salons.regulars(ctx.store, salon_village["salon"])]
    assert "新井 ミチ" in regular_names and len(regular_names) == 31
    assert any(h.head_name == "新井 ミチ" for h in households.list_households(ctx.store, "アライ"))
    # the page shows the session
    assert page.sessions_table.rowCount() == 1
    assert page.sessions_table.item(0, 1).text() == "12人"
    assert page.remarks.count() == 1


def test_check_all_and_none(qtbot, ctx, salon_village):
    page = make_page(qtbot, ctx)
    dialog = page.new_session()
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.all_button, Qt.MouseButton.LeftButton)
    assert dialog.total.text() == "参加 30人（名前あり 30人＋その他 0人）"
    qtbot.mouseClick(dialog.none_button, Qt.MouseButton.LeftButton)
    assert dialog.total.text() == "参加 0人（名前あり 0人＋その他 0人）"
    dialog.save()
    assert "チェック" in dialog.errors.text() and dialog.isVisible()
    dialog.done(0)


def test_correct_past_attendance(qtbot, ctx, salon_village):
    people = salon_village["people"]
    sid = salons.record_session(ctx.store, salon_village["salon"], clock.today(), attendee_ids=people[:5],
                                unnamed_count=2)
    page = make_page(qtbot, ctx)
    assert page.sessions_table.rowCount() == 1
    dialog = page.correct_session()
    qtbot.addWidget(dialog)
    assert dialog.correcting and not dialog.activities.isEnabled()
    assert sum(c.isChecked() for c in dialog.checks) == 5
    next(c for c in dialog.checks if c.regular.person_id == people[0]).setChecked(False)
    next(c for c in dialog.checks if c.regular.person_id == people[10]).setChecked(True)
    dialog.unnamed.setValue(3)
    with qtbot.waitSignal(dialog.saved):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    session = salons.get_session(ctx.store, sid)
    assert set(session.attendee_ids) == set(people[1:5]) | {people[10]} and session.unnamed_count == 3


def past_sessions(store, salon, people, absent):
    today = clock.today()
    for weeks in (6, 4, 2, 0):
        came = [p for p in people if p not in absent or weeks == 6]
        salons.record_session(store, salon, today - timedelta(weeks=weeks), attendee_ids=came)


def test_not_seen_lately_lists_absent_regular(qtbot, ctx, salon_village):
    people = salon_village["people"]
    past_sessions(ctx.store, salon_village["salon"], people, absent={people[0]})
    page = make_page(qtbot, ctx)
    assert page.absence_box.isVisibleTo(page)
    assert page.absences.count() == 1
    text = page.absences.item(0).text()
    assert "山田 ハル" in text and "最後においでになった日" in text and "令和" in text
    assert "直近3回" in page.absence_note.text()
    page.absence_sessions.setValue(4)  # absent from only 3 of the last 4
    assert page.absences.count() == 0


def reporter_ctx(store, executor, ui_settings, store_dir):
    accounts.add_account(store, "care1", "介護 花子", Role.REPORTER, "care passphrase 1", kdf=FAST_KDF)
    reporter = unlock(store_dir, "care1", "care passphrase 1")
    return AppContext(store=reporter, executor=executor, ui_settings=ui_settings, council=get_settings(reporter))


def test_not_seen_lately_is_not_for_reporters(qtbot, store, executor, ui_settings, store_dir, salon_village):
    assert not sees_absences(Role.REPORTER) and sees_absences(Role.STAFF)
    ctx = reporter_ctx(store, executor, ui_settings, store_dir)
    assert "salons" not in [p.key for p in pages_for(Role.REPORTER)]
    page = SalonsPage(ctx)  # even if built, the panel stays hidden and nothing is loaded
    qtbot.addWidget(page)
    page.show()
    assert not page.absence_box.isVisibleTo(page)
    ctx.store.close()


def test_remark_to_sheet_prefills_form(qtbot, ctx, salon_village):
    people = salon_village["people"]
    salons.record_session(ctx.store, salon_village["salon"], clock.today(), attendee_ids=people[:3],
                          remarks=[{"text": "灯油が買えないと話していた", "person_id": people[0]}])
    page = make_page(qtbot, ctx)
    assert page.remarks.count() == 1 and page.to_sheet_button.isEnabled()
    qtbot.mouseClick(page.to_sheet_button, Qt.MouseButton.LeftButton)
    form = page.sheet_form
    assert isinstance(form, SheetFormDialog)
    assert form.situation.toPlainText() == "灯油が買えないと話していた"
    assert form.setting.currentData() == "サロン"
    assert form.person.text() == "山田 ハル"
    assert form.household_id is not None and "山田 ハル" in form.household_label.text()
    form.concern_boxes["生活費・借金"].setChecked(True)
    form.urgency.set_value("早め")
    with qtbot.waitSignal(form.filed):
        form.save()
    assert page.remarks.count() == 1 and "作成済み" in page.remarks.item(0).text()
    assert not page.to_sheet_button.isEnabled()


def test_reading_keys():
    assert reading_keys("ヤマ") == ["やま"]
    assert "やま" in reading_keys("yama")
    assert reading_keys("") == []
