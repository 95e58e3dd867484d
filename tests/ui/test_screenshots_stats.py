"""Renders the 統計 page (a coordinator's and a staff member's view) on a few hundred records
spread over six districts and two 年度; saves PNGs when SHAKYO_SCREENSHOTS names a folder."""

import random
from datetime import date, timedelta

import pytest

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import contacts, districts, households, salons, sheets
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.main_window import MainWindow
from tests.store.conftest import login_as
from tests.ui.test_screenshots import save as save_now

TODAY = date(2026, 1, 15)
METHODS = ["訪問"] * 6 + ["電話"] * 3 + ["来所", "同行", "立ち寄り", "不在", "不在"]
CONCERNS = ["介護", "孤立", "生活費・借金", "病気・健康", "認知症", "ひきこもり", "8050", "住まい"]


@pytest.fixture(autouse=True)
def _on_today(pin_today):
    pin_today(TODAY)  # the records below are dated around this day


def fill(store) -> dict:
    rng = random.Random(7)
    roots = {}
    for name, kana, hamlets in (("北地区", "きた", ["上村", "下村"]), ("南地区", "みなみ", ["川辺", "山口"]),
                                ("東地区", "ひがし", ["日向"]), ("西地区", "にし", ["大平", "小平"]),
                                ("中央地区", "ちゅうおう", ["本町"]), ("奥山地区", "おくやま", ["奥沢"])):
        root = districts.add_district(store, name, kana)
        roots[name] = (root, [districts.add_district(store, h, h, parent_id=root) for h in hamlets])
    homes = []
    for _name, (root, hamlets) in roots.items():
        for i in range(rng.randint(4, 9)):
            homes.append(households.add_household(store, rng.choice(hamlets), f"住民 {len(homes) + 1}",
                                                   f"ジュウミン {len(homes) + 1}"))
    start = date(2024, 4, 1)
    for _ in range(420):
        day = start + timedelta(days=rng.randrange((TODAY - start).days))
        contacts.add_contact(store, household_id=rng.choice(homes), method=rng.choice(METHODS), contact_date=day,
                             concerns=rng.sample(CONCERNS, rng.choice([0, 0, 1, 2])))
    persons = [households.get_household(store, h, log=False).members[0].id for h in homes]
    for name, (root, hamlets) in list(roots.items())[:5]:
        salon = salons.add_salon(store, f"{name[:-2]}サロン", hamlets[0])
        day = date(2024, 4, 10)
        while day < TODAY:
            salons.record_session(store, salon, day, attendee_ids=rng.sample(persons, rng.randint(4, 12)),
                                  unnamed_count=rng.randint(0, 4))
            day += timedelta(days=rng.choice([28, 35, 42]))
    for _ in range(30):
        day = start + timedelta(days=rng.randrange((TODAY - start).days))
        sheets.file_sheet(store, noticed_on=day, urgency=rng.choice(["緊急", "早め", "見守り", "見守り"]),
                          concerns=rng.sample(CONCERNS, rng.randint(1, 2)), household_id=rng.choice(homes),
                          situation="テスト")
    return roots


def test_screenshots_stats(qtbot, ctx, executor, ui_settings):
    def save(widget, name):
        qtbot.wait(30)
        save_now(widget, name)

    roots = fill(ctx.store)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1280, 860)
    window.show()
    page = window.show_page("stats")
    page._today = TODAY
    page.refresh()
    page.choose_year(2025)
    assert page.stack.currentWidget() is page.tabs
    save(window, "60_stats_summary")
    page.tabs.setCurrentIndex(1)
    assert page.chart_panels
    save(window, "61_stats_charts")
    page.tabs.setCurrentIndex(2)
    page.table_list.setCurrentRow(1)
    save(window, "62_stats_table_coordinator")

    staff = login_as(ctx.store, "kita", "staff", [roots["北地区"][0]])
    try:
        staff_ctx = AppContext(store=staff, executor=executor, ui_settings=ui_settings, council=get_settings(staff),
                               kdf=FAST_KDF)
        from shakyo_desk.ui.pages.stats import StatsPage

        staff_page = StatsPage(staff_ctx, today=TODAY)
        qtbot.addWidget(staff_page)
        staff_page.resize(1100, 760)
        staff_page.show()
        staff_page.refresh()
        staff_page.tabs.setCurrentIndex(2)
        staff_page.table_list.setCurrentRow(1)
        save(staff_page, "63_stats_table_staff")
        staff_page.tabs.setCurrentIndex(1)
        save(staff_page, "64_stats_charts_staff")
        staff_page.kind.setCurrentIndex(1)
        staff_page.district.setCurrentIndex(staff_page.district.count() - 1)
        save(staff_page, "65_stats_month_hamlet")
    finally:
        staff.close()
