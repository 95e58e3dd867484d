"""Renders the contact, timeline and 見守り screens with realistic data; saves PNGs
when SHAKYO_SCREENSHOTS names a folder."""

from datetime import timedelta

from shakyo_desk.store.services import contacts, households, places, salons
from shakyo_desk.ui.contact_entry import ContactDetailDialog, ContactEntryDialog
from shakyo_desk.ui.main_window import MainWindow
from shakyo_desk.ui.timeline import TimelineDialog
from tests.ui.helpers import type_text
from tests.ui.test_screenshots import save as save_now
from shakyo_desk.domain import clock

MORE = [
    ("佐藤 トメ", "サトウ トメ", "kami", "山里村北2-15", "0000-22-1111", 14, None),
    ("高橋 茂", "タカハシ シゲル", "south", "山里村南12-3 南団地2号棟", "0000-22-3333", None, 1),
    ("伊藤 キヨ", "イトウ キヨ", "north", "山里村北7-1", "", 30, None),
    ("渡辺 文子", "ワタナベ フミコ", "south", "山里村南1-8", "0000-22-5555", None, 2),
]


def fill_village(store, village):
    today = clock.today()
    d, h = village["districts"], dict(village["households"])
    for name, kana, district, address, phone, days, months in MORE:
        hid = households.add_household(store, d[district], name, kana, address=address, phone=phone,
                                       flags=["一人暮らし高齢者"])
        households.update_household(store, hid, watch_level="中", watch_interval_days=days,
                                    watch_interval_months=months)
        h[name] = hid
    households.update_household(store, h["yamada"], watch_level="高", watch_interval_days=7)
    shop = places.add_place(store, "みどり商店", "店", d["south"], "山里村南3-1")
    places.add_place(store, "山里郵便局", "郵便局", d["north"])
    staff_notes = [
        (h["yamada"], 19, "訪問", "こたつで休んでいた。足が痛くて買い物に行けないと話す。\n冷蔵庫の中が少なかった。",
         ["介護", "病気・健康"], "早め", "孤立している", "地域包括支援センターに相談する", None),
        (h["佐藤 トメ"], 9, "電話", "娘さんが週末に来ているとのこと。変わりなし。", [], "", "頼れる人がいる", "", None),
        (h["高橋 茂"], 40, "訪問", "庭の草が伸びている。ごみ出しができていない様子。", ["ごみ屋敷", "孤立"], "見守り",
         "わからない", "民生委員と一緒に再訪", None),
        (h["高橋 茂"], 5, "不在", "", [], "", "", "", None),
        (h["suzuki"], 3, "訪問", "畑仕事をしていた。元気そう。", [], "", "頼れる人がいる", "", today),
        (h["伊藤 キヨ"], 2, "同行", "民生委員の田村さんと訪問。通院の送迎に困っている。", ["病気・健康"], "早め", "孤立している",
         "移送サービスの案内を持っていく", None),
    ]
    for hid, ago, method, seen, concerns, urgency, isolation, action, planned in staff_notes:
        contacts.add_contact(store, household_id=hid, contact_date=today - timedelta(days=ago), method=method,
                             contact_time="10:30", seen_heard=seen, concerns=concerns, urgency=urgency,
                             isolation=isolation, next_action=action, next_contact_date=planned,
                             companions=["民生委員"] if method == "同行" else [])
    contacts.add_contact(store, place_id=shop, contact_date=today - timedelta(days=1), method="立ち寄り",
                         seen_heard="店主さんから：山田さんを最近見かけない。配達を頼まれることが増えた。")
    person = households.get_household(store, h["yamada"]).members[0].id
    salon = salons.add_salon(store, "ひだまりサロン", d["north"])
    salons.record_session(store, salon, today - timedelta(days=24), attendee_ids=[person])
    return h


def test_screenshots_contacts(qtbot, ctx, village):
    def save(widget, name):
        qtbot.wait(30)
        save_now(widget, name)

    h = fill_village(ctx.store, village)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()

    window.show_page("watch")
    save(window, "20_watch")
    window.show_page("contacts")
    save(window, "21_contacts")

    entry = ContactEntryDialog(ctx, window)
    qtbot.addWidget(entry)
    entry.show()
    save(entry, "22_contact_entry_empty")
    type_text(qtbot, entry.household, "やまだ")
    entry.run_search()
    entry.completer.popup().hide()
    entry.set_household(h["yamada"], "山田 花子　上町　山里村北1-2")
    entry.contact_time.setText("14:30")
    entry.method.set_value("訪問")
    entry.companions.set_checked(["民生委員"])
    type_text(qtbot, entry.seen_heard, "玄関先で話す。灯油が残り少なく、寒い部屋で過ごしている。")
    entry.seen_heard.insertPlainText("\n息子さんとは連絡がとれていない様子。")
    entry.concerns.set_checked(["生活費・借金", "孤立"])
    entry.urgency.setCurrentIndex(2)
    entry.isolation.setCurrentIndex(1)
    entry.next_action.setText("灯油の配達を手配し、民生委員に様子を伝える")
    entry._set_next(("d", 7))
    save(entry, "23_contact_entry_filled")
    entry.contact_date.set_date(clock.today() + timedelta(days=2))
    entry.save()
    save(entry, "24_contact_entry_error")
    entry.contact_date.set_date(clock.today())
    entry.save()
    save(entry, "25_contact_entry_saved")
    entry.done(0)

    timeline = TimelineDialog(ctx, h["yamada"], "山田 花子", window)
    qtbot.addWidget(timeline)
    timeline.show()
    save(timeline, "26_timeline")
    info = contacts.list_contacts(ctx.store, household_id=h["yamada"])[-1]
    detail = ContactDetailDialog(ctx, info, window)
    qtbot.addWidget(detail)
    detail.show()
    save(detail, "27_contact_detail")

    page = window.show_page("households")
    page.open_household(h["高橋 茂"])
    page.editor.show()
    save(page.editor, "28_household_editor_interval")
    page.editor.done(0)
    window.idle.stop()
