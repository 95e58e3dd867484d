"""A small hand-made data set whose figures are known, built through the services in a real
SQLCipher store. The statistics tests (store, reports, CLI) all use it.

年度 2024 = 2024-04-01 … 2025-03-31 (fiscal_year_start_month 4). Districts: 北地区 (集落 上村,
下村) and 南地区 (集落 川辺). Households H1, H2 (上村), H3, H5 (下村), H4 (川辺); a shop P1 in 川辺.

Contacts in 年度 2024 (10): H1 訪問 4/1 [生活費・借金], 電話 5/10, 不在 6/1; H2 訪問 7/1 and 3/31
(the last day); H3 不在 8/1, 訪問 8/2 [孤立]; H4 訪問 9/9 [介護, 孤立], 電話 10/10 [介護]; P1 立ち寄り
11/11. Before: H2 訪問 2023-10-01, H3 電話 2024-03-31 (the last day of 年度 2023). After: H5 訪問
2025-04-01 (the first day of 年度 2025). So 年度 2024: 北 7 (不在 2, 3 households, 1 new: H1),
南 3 (1 at the shop, 1 household, new: H4); households reached 4, new 2.

Salons in 年度 2024: ひだまりサロン (上村) 5/1 A,B,C +2 unnamed, 6/1 A,B, 3/31 A +1; 川辺いきいきサロン
(川辺) 7/7 D,A +4; and 2025-04-01 D +1 (next 年度). A, B, C, D are the heads of H1, H2, H3, H4.

Sheets in 年度 2024: Sh1 H1 4/10 緊急 [介護, 孤立] → 確認中 4/12 → つないだ 4/20 (包括, 10 days) →
終結 6/9 (60 days); Sh2 H3 5/1 早め [生活費・借金] → つないだ 5/31 (まいさぽ, 30 days); Sh5 H2 6/1
早め [介護] → つないだ 6/5 (包括, 4 days); Sh3 H4 2025-03-20 見守り [孤立] → つないだ 2025-04-02
(役場, next 年度); Sh4 a hint only, 12/1 早め [ひきこもり].

Referrals in 年度 2024 (5): the three made by つないだ (Sh1 → つながった, Sh2, Sh5 stay 確認中), H4 → 役場
9/10 つながった, H1 → 包括 10/1 つながらなかった.

Conferences in 年度 2024: 支援会議 7/1 (H1, H3), 支援会議 9/1 (H4), ケース検討会 10/1 (H2), 地域ケア会議
2025-02-01 (no case); 年度 2023: 重層的支援会議 2023-12-01 (H1).
"""

import pytest

from dataclasses import dataclass
from datetime import date

from shakyo_desk.store.services import (
    agencies, conferences, contacts, districts, households, places, referrals, salons, sheets,
)
from shakyo_desk.store.services.referrals import list_referrals

D = date.fromisoformat
MEMBERS = ["佐藤 一/地域包括支援センター"]

DATASET_DAY = date(2026, 1, 15)  # the records below are of 年度 2024 and 2025 up to this day


@pytest.fixture(autouse=True)
def _on_dataset_day(pin_today):
    pin_today(DATASET_DAY)  # build_dataset's records are dated around this day


@dataclass
class Dataset:
    north: str
    south: str
    kamimura: str
    shimomura: str
    kawabe: str
    households: dict
    persons: dict
    salons: dict
    agencies: dict


def build_dataset(store) -> Dataset:
    north = districts.add_district(store, "北地区", "きた")
    south = districts.add_district(store, "南地区", "みなみ")
    kamimura = districts.add_district(store, "上村", "かみむら", parent_id=north)
    shimomura = districts.add_district(store, "下村", "しもむら", parent_id=north)
    kawabe = districts.add_district(store, "川辺", "かわべ", parent_id=south)
    hh = {
        "H1": households.add_household(store, kamimura, "青木 あい", "アオキ アイ"),
        "H2": households.add_household(store, kamimura, "伊藤 いち", "イトウ イチ"),
        "H3": households.add_household(store, shimomura, "上田 うめ", "ウエダ ウメ"),
        "H4": households.add_household(store, kawabe, "江口 えい", "エグチ エイ"),
        "H5": households.add_household(store, shimomura, "大野 おと", "オオノ オト"),
    }
    persons = {key: households.get_household(store, hid, log=False).members[0].id for key, hid in hh.items()}
    shop = places.add_place(store, "川辺商店", "店", kawabe)

    def contact(key, method, day, concerns=()):
        target = {"place_id": shop} if key == "P1" else {"household_id": hh[key]}
        contacts.add_contact(store, method=method, contact_date=D(day), concerns=list(concerns), **target)

    contact("H2", "訪問", "2023-10-01")
    contact("H3", "電話", "2024-03-31")
    contact("H1", "訪問", "2024-04-01", ["生活費・借金"])
    contact("H1", "電話", "2024-05-10")
    contact("H1", "不在", "2024-06-01")
    contact("H2", "訪問", "2024-07-01")
    contact("H2", "訪問", "2025-03-31")
    contact("H3", "不在", "2024-08-01")
    contact("H3", "訪問", "2024-08-02", ["孤立"])
    contact("H4", "訪問", "2024-09-09", ["介護", "孤立"])
    contact("H4", "電話", "2024-10-10", ["介護"])
    contact("P1", "立ち寄り", "2024-11-11")
    contact("H5", "訪問", "2025-04-01")

    a, b, c, d = (persons[k] for k in ("H1", "H2", "H3", "H4"))
    hidamari = salons.add_salon(store, "ひだまりサロン", kamimura)
    kawabe_salon = salons.add_salon(store, "川辺いきいきサロン", kawabe)
    salons.record_session(store, hidamari, D("2024-05-01"), attendee_ids=[a, b, c], unnamed_count=2)
    salons.record_session(store, hidamari, D("2024-06-01"), attendee_ids=[a, b])
    salons.record_session(store, hidamari, D("2025-03-31"), attendee_ids=[a], unnamed_count=1)
    salons.record_session(store, kawabe_salon, D("2024-07-07"), attendee_ids=[d, a], unnamed_count=4)
    salons.record_session(store, kawabe_salon, D("2025-04-01"), attendee_ids=[d], unnamed_count=1)

    ag = {
        "包括": agencies.add_agency(store, "地域包括支援センター", kana="ちいきほうかつ"),
        "まいさぽ": agencies.add_agency(store, "まいさぽ", kana="まいさぽ"),
        "役場": agencies.add_agency(store, "役場福祉課", kana="やくば"),
    }

    def sheet(key, day, urgency, concerns, **extra):
        target = {"household_id": hh[key]} if key else {"household_hint": "駅前の一人暮らしの男性"}
        return sheets.file_sheet(store, noticed_on=D(day), urgency=urgency, concerns=list(concerns),
                                 situation="テスト", **target, **extra)

    sh1 = sheet("H1", "2024-04-10", "緊急", ["介護", "孤立"])
    sheets.change_status(store, sh1, "確認中", changed_on=D("2024-04-12"))
    sheets.change_status(store, sh1, "つないだ", changed_on=D("2024-04-20"), agency_id=ag["包括"])
    sheets.change_status(store, sh1, "終結", changed_on=D("2024-06-09"))
    sh2 = sheet("H3", "2024-05-01", "早め", ["生活費・借金"])
    sheets.change_status(store, sh2, "つないだ", changed_on=D("2024-05-31"), agency_id=ag["まいさぽ"])
    sh5 = sheet("H2", "2024-06-01", "早め", ["介護"])
    sheets.change_status(store, sh5, "つないだ", changed_on=D("2024-06-05"), agency_id=ag["包括"])
    sh3 = sheet("H4", "2025-03-20", "見守り", ["孤立"])
    sheets.change_status(store, sh3, "つないだ", changed_on=D("2025-04-02"), agency_id=ag["役場"])
    sheet(None, "2024-12-01", "早め", ["ひきこもり"])
    [from_sh1] = list_referrals(store, sheet_id=sh1)
    referrals.record_outcome(store, from_sh1.id, "つながった")
    r = referrals.add_referral(store, ag["役場"], "生活の相談", household_id=hh["H4"], referred_on=D("2024-09-10"))
    referrals.record_outcome(store, r, "つながった")
    r = referrals.add_referral(store, ag["包括"], "介護の相談", household_id=hh["H1"], referred_on=D("2024-10-01"))
    referrals.record_outcome(store, r, "つながらなかった")

    def meeting(kind, day, cases):
        conferences.add_conference(store, kind, D(day), members=MEMBERS, cases=[hh[k] for k in cases], today=D(day))

    meeting("support", "2024-07-01", ["H1", "H3"])
    meeting("support", "2024-09-01", ["H4"])
    meeting("case-review", "2024-10-01", ["H2"])
    meeting("community-care", "2025-02-01", [])
    meeting("multi-agency", "2023-12-01", ["H1"])
    return Dataset(north, south, kamimura, shimomura, kawabe, hh, persons,
                   {"hidamari": hidamari, "kawabe": kawabe_salon}, ag)


def test_the_data_set_is_built_as_described(store):
    data = build_dataset(store)
    assert len(contacts.list_contacts(store, limit=None)) == 13
    assert len(sheets.list_sheets(store, limit=None)) == 5
    assert len(list_referrals(store, limit=None)) == 6  # 4 from つないだ, 2 by hand
    assert len(conferences.list_conferences(store)) == 5
    assert salons.attendance_counts(store, D("2024-04-01"), D("2025-03-31"))["total_attendances"] == 15
    assert {d.path for d in districts.list_districts(store)} == {
        "北地区", "北地区 › 上村", "北地区 › 下村", "南地区", "南地区 › 川辺"}
    assert len(data.households) == 5
