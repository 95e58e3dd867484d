import uuid
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from shakyo_desk.domain import hlc
from shakyo_desk.domain.ids import new_id
from shakyo_desk.domain.people import age_band, age_on
from shakyo_desk.domain.text import fold, search_terms


def test_fold_unifies_kana_and_width():
    assert fold("ヤマダ") == fold("やまだ") == fold("ﾔﾏﾀﾞ")
    assert fold("０２６５−１２−３４５６") == "0265123456"
    assert fold("ＡＢＣ") == "abc"
    assert fold("ユーザー") == "ゆーざー"  # the long-vowel mark stays
    assert search_terms(" 山田　はな ") == ["山田", "はな"]


@given(st.text())
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


def test_uuid7_is_time_ordered():
    ids = [new_id() for _ in range(50)]
    assert all(uuid.UUID(i).version == 7 for i in ids)
    assert [i[:13] for i in ids] == sorted(i[:13] for i in ids)


def test_hlc_never_goes_back():
    last = hlc.Stamp(1000, 0)
    assert hlc.tick(last, 900) == hlc.Stamp(1000, 1)  # wall clock went back
    assert hlc.tick(last, 2000) == hlc.Stamp(2000, 0)
    assert hlc.receive(last, hlc.Stamp(5000, 3), 1200) == hlc.Stamp(5000, 4)
    a, b = hlc.Stamp(1000, 2).encode("dev"), hlc.Stamp(1000, 10).encode("dev")
    assert a < b and hlc.Stamp.decode(b) == hlc.Stamp(1000, 10)


def test_age_bands():
    assert age_on(date(1945, 6, 1), date(2025, 5, 31)) == 79
    assert age_band(date(1945, 6, 1), date(2025, 6, 1)) == "80代"
    assert age_band(None, date(2025, 6, 1), "70代") == "70代"
    assert age_band(date(2020, 1, 1), date(2025, 6, 1)) == "10歳未満"
