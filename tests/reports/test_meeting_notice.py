"""開催通知（レジュメ） PDF (reports/meeting_notice.py): the text pypdf extracts — the meeting,
its date in 和暦 with the weekday, the number of cases and never whose, and the boxed
守秘義務について with the statute (社会福祉法第106条の6第5項), its penalty and the handling of
materials; a 重層的支援会議 says consent instead; one page."""

import io
import re
from datetime import date
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from shakyo_desk.reports.meeting_notice import (
    MASK, meeting_name, meeting_notice_pdf, notice_content, notice_pdf_bytes,
)
from shakyo_desk.store.services import conferences, households
from tests.store.conftest import district, store, store_dir  # noqa: F401 (fixtures)

TODAY = date(2026, 1, 15)
MEETING = date(2026, 1, 22)  # 木曜日
MEMBERS = ["佐藤 一/地域包括支援センター", "鈴木 二/役場福祉課", "高橋 三/民生委員"]
HEAD = ("山本 一郎", "ヤマモト イチロウ")


@pytest.fixture(autouse=True)
def _on_today(pin_today):
    pin_today(TODAY)


@pytest.fixture
def homes(store, district):  # noqa: F811
    first = households.add_household(store, district, HEAD[0], HEAD[1], address="みどり村上町1-2-3")
    second = households.add_household(store, district, "川口 ミツ", "カワグチ ミツ")
    return first, second


def flat(raw: bytes) -> tuple[str, int]:
    pages = PdfReader(io.BytesIO(raw)).pages
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in pages)), len(pages)


def support_meeting(store, homes, **extra):  # noqa: F811
    first, second = homes
    return conferences.add_conference(
        store, "support", MEETING, members=MEMBERS, title="みどり村支援会議（1月）", place="役場 2階会議室",
        convenor="みどり村社会福祉協議会 地域福祉係", start_time="14:00", end_time="15:30",
        agenda="・前回のケースの経過\n・山本さん宅の見守りの分担\n・冬の除雪の担い手", today=TODAY,
        cases=[(first, "見守りの分担を決めたい"), (second, "買い物の支援")], **extra)


def test_a_support_meeting_notice_states_the_confidentiality_points(store, homes):  # noqa: F811
    text, pages = flat(meeting_notice_pdf(store, support_meeting(store, homes), today=TODAY))
    assert pages == 1
    assert "取扱注意" in text and "構成員各位" in text and "支援会議の開催について（通知）" in text
    assert "令和8年1月22日（木）" in text and "14:00〜15:30" in text and "役場2階会議室" in text
    assert "みどり村支援会議（1月）（支援会議）" in text and "社会福祉法第106条の6に基づく会議" in text
    assert "招集者" in text and "地域福祉係" in text
    assert "個別ケースの検討（2件）" in text and "冬の除雪の担い手" in text
    # the boxed points: the statute, the duty, the penalty, the handling of materials
    assert "守秘義務について" in text
    assert "社会福祉法第106条の6第5項" in text and "秘密を漏らしてはなりません" in text
    assert "1年以下の拘禁刑又は100万円以下の罰金" in text
    assert "本人の同意がなくても" in text and "地方税法第22条" in text
    assert "回収します" in text and "複写・撮影・持ち出しはしないでください" in text
    assert "構成員でなくなった後も同じです" in text
    # no household is named: not the head, not the family name in the agenda, not the address
    for secret in ("山本", "一郎", "ヤマモト", "川口", "カワグチ", "上町1-2-3", "見守りの分担を決めたい"):
        assert secret not in text, secret
    assert f"{MASK}さん宅の見守りの分担" in text  # the agenda keeps its sense


def test_a_multi_agency_meeting_speaks_of_consent(store, homes):  # noqa: F811
    conference = conferences.add_conference(store, "multi-agency", MEETING, members=MEMBERS, today=TODAY,
                                            cases=[homes[0]])
    text, pages = flat(meeting_notice_pdf(store, conference, today=TODAY))
    assert pages == 1 and "重層的支援会議の開催について（通知）" in text
    assert "本人の同意を得たケース" in text and "同意の範囲を超えて使わないでください" in text
    assert "第106条の6" not in text  # not a 支援会議: no statutory duty is claimed
    assert "回収します" in text and "複写・撮影・持ち出しはしないでください" in text
    assert "個別ケースの検討（1件）" in text and "山本" not in text
    assert "場所" in text and "追ってお知らせします" in text  # no place recorded yet


def test_the_councils_own_wording_is_printed(store, homes):  # noqa: F811
    from shakyo_desk.store.services.council import update_settings

    update_settings(store, confidentiality_notice="構成員は会議で知り得た秘密を漏らしてはなりません（村の独自文言）。")
    content = notice_content(store, support_meeting(store, homes), today=TODAY)
    assert any("村の独自文言" in p for p in content.points)
    # the wording set by the council no longer speaks of collecting: the notice still does
    assert any("回収" in p for p in content.points) and any("複写" in p for p in content.points)


def test_a_long_agenda_still_fits_one_page(store, homes):  # noqa: F811
    agenda = "\n".join(f"・議題その{i}：地域の見守り体制と移動手段の確保について話し合う" for i in range(1, 26))
    conference = conferences.add_conference(store, "case-review", MEETING, members=MEMBERS, agenda=agenda,
                                            today=TODAY, cases=[homes[0]])
    text, pages = flat(meeting_notice_pdf(store, conference, today=TODAY))
    assert pages == 1 and "議題その25" in text


def test_the_meeting_name_names_the_body_it_is_held_as():
    detail = SimpleNamespace(type_label="支援会議", title="", body="地域ケア会議")
    assert meeting_name(detail) == "支援会議　※地域ケア会議として開催"
    assert meeting_name(SimpleNamespace(type_label="支援会議", title="支援会議", body="")) == "支援会議"


def test_rendering_needs_no_store():
    from shakyo_desk.reports.meeting_notice import NoticeContent

    content = NoticeContent("テスト村社会福祉協議会", TODAY, "ケース検討会", "ケース検討会", "", date(2026, 2, 1), "",
                            "", "", ("当日お知らせします。",), ("会議の資料は「取扱注意」です。",))
    text, pages = flat(notice_pdf_bytes(content))
    assert pages == 1 and "令和8年2月1日（日）" in text and "令和8年1月15日" in text


def test_a_meeting_on_a_topic_without_households():
    from shakyo_desk.reports.meeting_notice import _agenda

    detail = SimpleNamespace(cases=(), topic="冬の買い物の足（移動販売の誘致）", agenda="")
    assert _agenda(detail, []) == ("地域資源の検討：冬の買い物の足（移動販売の誘致）",)
    assert _agenda(SimpleNamespace(cases=(), topic="", agenda=""), []) == ("当日お知らせします。",)
