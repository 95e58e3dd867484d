import pytest

from shakyo_desk.store.services import households


@pytest.fixture
def village(store, district):
    ids = {
        "yamada": households.add_household(store, district, "山田 ハル", "ヤマダ ハル", address="架空村上町一丁目3", phone="0000-12-3456"),
        "sato": households.add_household(store, district, "佐藤 キヨ", "サトウ キヨ", address="架空村下町5", phone="0000-98-7654"),
    }
    households.add_person(store, ids["sato"], "佐藤 健太", kana="サトウ ケンタ", relation="子")
    return ids


@pytest.mark.parametrize("query, expected", [
    ("やまだ", {"yamada"}),            # hiragana finds katakana kana
    ("ヤマダ", {"yamada"}),
    ("ﾔﾏﾀﾞ", {"yamada"}),              # half-width katakana
    ("山田", {"yamada"}),
    ("けんた", {"sato"}),               # any member, not only the head
    ("000012", {"yamada"}),            # phone without hyphens
    ("００００-９８", {"sato"}),       # full-width digits
    ("上町", {"yamada"}),               # address
    ("さとう　きよ", {"sato"}),          # full-width space splits terms
    ("さとう やまだ", set()),            # every term must match
    ("100%", set()),                   # LIKE wildcards are literal
])
def test_search_is_kana_and_width_insensitive(store, village, query, expected):
    found = {h.id for h in households.list_households(store, query)}
    assert found == {village[k] for k in expected}


def test_search_index_follows_edits(store, village):
    households.update_household(store, village["yamada"], address="架空村新町9")
    assert [h.id for h in households.list_households(store, "新町")] == [village["yamada"]]
    assert households.list_households(store, "一丁目") == []
