"""The demo village: deterministic plan, realistic make-up, sound store."""

import re
import time
from datetime import date

import pytest
import sqlalchemy as sa

from shakyo_desk import demo
from shakyo_desk.demo.generator import PROFILES, make_plan
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.people import AGE_BANDS, age_on
from shakyo_desk.domain.roles import Role
from shakyo_desk.domain.vocab import (
    HOUSEHOLD_FLAGS, HOUSING_TYPES, PERSON_FLAGS, PERSON_ROLES, RELATIONS, SEXES, WATCH_LEVELS,
)
from shakyo_desk.store.check import check_store
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import Agency, Council, District, Household, Person, Staff
from shakyo_desk.store.paths import StoreLayout
from shakyo_desk.store.services.households import count_households, list_households
from shakyo_desk.store.store import unlock

TODAY = date(2025, 6, 1)
KATAKANA = re.compile(r"^[ァ-ヶー]+( [ァ-ヶー]+)+$")
# Relations whose surname may differ from the head's.
OWN_SURNAME = {"同居人", "その他の親族"}


@pytest.fixture(scope="module")
def plan():
    return make_plan("village", today=TODAY)


@pytest.fixture(scope="module")
def village(tmp_path_factory):
    """The village, generated once through open_demo (the first start of the demo)."""
    root = tmp_path_factory.mktemp("demo") / "demo"
    calls = []
    started = time.perf_counter()
    store = demo.open_demo(root, progress=lambda done, total, label: calls.append((done, total, label)), kdf=FAST_KDF)
    seconds = time.perf_counter() - started
    yield root, store, calls, seconds
    store.close()


def _snapshot(plan):
    return [
        (h.kind, h.district, h.address, h.phone, tuple(h.flags), h.watch_level, h.welfare_commissioner, h.staff_main,
         tuple((p.name, p.kana, p.sex, p.age, p.birth_date, p.relation, tuple(p.flags), tuple(p.roles)) for p in h.members))
        for h in plan.households
    ]


def test_same_seed_gives_the_same_plan(plan):
    again = make_plan("village", today=TODAY)
    assert _snapshot(again) == _snapshot(plan)
    assert [(d.name, d.parent) for d in again.districts] == [(d.name, d.parent) for d in plan.districts]
    assert [(s.login, s.display_name, s.districts) for s in again.staff] == [
        (s.login, s.display_name, s.districts) for s in plan.staff]
    assert _snapshot(make_plan("village", seed=plan.seed + 1, today=TODAY)) != _snapshot(plan)


def test_ages_do_not_depend_on_the_day(plan):
    later = make_plan("village", today=date(2026, 1, 15))
    assert [p.age for p in later.persons] == [p.age for p in plan.persons]
    assert [p.name for p in later.persons] == [p.name for p in plan.persons]


def test_village_counts_hit_the_profile(plan):
    profile = PROFILES["village"]
    assert len(plan.households) == profile.households
    assert abs(len(plan.persons) - profile.persons) <= profile.persons * 0.03
    leaves = plan.leaf_districts()
    assert len(leaves) == profile.districts
    assert {h.district for h in plan.households} == {d.key for d in leaves}
    assert len(plan.agencies) >= 12
    roles = [s.role for s in plan.staff]
    for role in (Role.COORDINATOR, Role.STAFF, Role.REPORTER):
        assert roles.count(role.value) >= 2


@pytest.mark.parametrize("seed", [None, 1, 2, 3])
def test_an_ageing_village(seed):
    plan = make_plan("village", seed, today=TODAY)
    persons = plan.persons
    elderly = sum(p.age >= 65 for p in persons) / len(persons)
    assert 0.35 <= elderly <= 0.45
    flags = [f for h in plan.households for f in h.flags]
    assert flags.count("一人暮らし高齢者") >= 100
    assert flags.count("高齢者のみ") >= 80
    for rare in ("8050", "ひとり親", "外国籍", "転入者"):
        assert 3 <= flags.count(rare) <= 80, rare


def test_values_are_in_the_vocabularies(plan):
    for h in plan.households:
        assert set(h.flags) <= set(HOUSEHOLD_FLAGS) and len(set(h.flags)) == len(h.flags)
        assert h.housing_type in HOUSING_TYPES and h.watch_level in WATCH_LEVELS
        assert (h.watch_interval_days is None) == (h.watch_level == "なし")
        assert "架空" in h.address and "みどり村" in h.address
        assert h.phone == "" or h.phone.startswith("000")
        assert h.welfare_commissioner and h.staff_main
        for p in h.members:
            assert p.relation in RELATIONS and p.sex in SEXES
            assert set(p.flags) <= set(PERSON_FLAGS) and set(p.roles) <= set(PERSON_ROLES)
            assert p.age_band in AGE_BANDS
    assert all(a.phone.startswith("0000-") for a in plan.agencies)
    assert "デモ" in plan.council_name


def test_kana_is_katakana_and_matches_the_family(plan):
    for h in plan.households:
        head = h.members[0]
        assert head.relation == "本人"
        assert [p.relation for p in h.members].count("本人") == 1
        family = head.kana.split(" ")[0]
        for p in h.members:
            assert KATAKANA.match(p.kana), p.kana
            assert len(p.name.split(" ")) >= 2
            if p.foreign:
                assert p.name == p.kana and "外国籍" in p.flags
            elif p.relation not in OWN_SURNAME and not head.foreign:
                assert p.kana.split(" ")[0] == family, (p.name, head.name)
        names = [p.name for p in h.members]
        assert len(names) == len(set(names)), names


def test_relations_and_ages_are_coherent(plan):
    for h in plan.households:
        head = h.members[0]
        spouse = next((p for p in h.members if p.relation == "配偶者"), None)
        parents = [head] + ([spouse] if spouse else [])
        children = [p for p in h.members if p.relation == "子"]
        for p in h.members:
            assert 0 <= p.age <= 105
            assert p.age_band == ("10歳未満" if p.age < 10 else f"{p.age // 10 * 10}代")
            if p.birth_date is not None:
                assert age_on(p.birth_date, TODAY) == p.age
            if p.relation == "配偶者":
                assert p.sex != head.sex and abs(p.age - head.age) <= 16 and p.age >= 20
            elif p.relation == "子":
                assert all(q.age - p.age >= 18 for q in parents), (p.name, p.age, [q.age for q in parents])
            elif p.relation == "孫":
                assert head.age - p.age >= 36
                assert any(c.age - p.age >= 18 for c in children)
            elif p.relation == "親":
                assert p.age - head.age >= 18
        for p in h.members:
            if {"要介護", "要支援", "認知症"} & set(p.flags):
                assert p.age >= 65
            if "ひきこもり" in p.flags:
                assert 15 <= p.age <= 70
            if "キーパーソン" in p.roles or "ボランティア" in p.roles:
                assert p.age >= 20
        ages = [p.age for p in h.members]
        if "一人暮らし高齢者" in h.flags:
            assert len(ages) == 1 and ages[0] >= 65
        if "高齢者のみ" in h.flags:
            assert len(ages) >= 2 and min(ages) >= 65
        if "8050" in h.flags:
            assert head.age >= 75 and any(c.age >= 45 for c in children)
        if "ひとり親" in h.flags:
            assert spouse is None and any(c.age < 20 for c in children)
    some_only_band = [p for p in plan.persons if p.birth_date is None]
    assert 0 < len(some_only_band) < len(plan.persons) * 0.2


def test_generated_village_is_sound(village, plan):
    root, store, calls, seconds = village
    assert seconds < 30, f"village generation took {seconds:.1f}s"
    assert check_store(store).sound
    with store.read() as s:
        council = s.execute(sa.select(Council)).scalar_one()
        assert council.is_demo and "デモ" in council.name
        count = lambda m: s.execute(sa.select(sa.func.count()).select_from(m)).scalar_one()  # noqa: E731
        assert count(Household) == 700
        assert abs(count(Person) - 1800) <= 54
        assert count(District) == 15 and count(Agency) >= 12
        staff = s.execute(sa.select(Staff)).scalars().all()
        leaf_ids = set(s.execute(sa.select(District.id).where(District.parent_id.is_not(None))).scalars())
        in_charge = set().union(*[set(x.district_ids) for x in staff if x.role == "staff"])
        assert in_charge == leaf_ids
        households = s.execute(sa.select(Household)).scalars().all()
        assert all(h.code.startswith("H-") and h.district_id in leaf_ids and h.staff_main_id for h in households)
    # progress: monotonic, ends complete, labels in Japanese
    assert calls and calls[-1][0] == calls[-1][1]
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)
    assert all(re.search(r"[ぁ-んァ-ヶ一-龠]", c[2]) for c in calls)


def test_staff_accounts_unlock_with_the_demo_passphrase(village):
    root, *_ = village
    for login in ("coordinator1", "staff1", "reporter1"):
        other = unlock(root, login, demo.DEMO_PASSPHRASE)
        try:
            assert other.actor.login == login
            seen = count_households(other)
            if login == "staff1":
                assert 0 < seen < 700  # their own settlements only
                assert list_households(other, limit=5)
        finally:
            other.close()


def test_open_demo_again_reuses_the_store(village, monkeypatch):
    root, store, *_ = village
    with store.read() as s:
        first = s.execute(sa.select(Council.id)).scalar_one()

    def must_not_run(*args, **kwargs):
        raise AssertionError("open_demo regenerated an existing demo store")

    monkeypatch.setattr(demo, "generate", must_not_run)
    again = demo.open_demo(root)
    try:
        with again.read() as s:
            assert s.execute(sa.select(Council.id)).scalar_one() == first
        assert again.actor.login == demo.DEMO_LOGIN
    finally:
        again.close()
    assert not root.with_name(root.name + ".partial").exists()


def test_unknown_profile_is_refused(tmp_path):
    with pytest.raises(InvalidInput) as caught:
        demo.generate(tmp_path / "x", "metropolis", kdf=FAST_KDF)
    assert re.search(r"[ぁ-ん]", str(caught.value))
    assert not StoreLayout(tmp_path / "x").exists() and not (tmp_path / "x").exists()


def test_generate_returns_the_admin_and_a_recovery_key(tmp_path, monkeypatch):
    # A tiny profile keeps this fast; the real profiles are covered above.
    from shakyo_desk.demo import generator

    tiny = generator.Profile("village", 60, 25, 3, 1, 5, 1, 2, 1, "テスト")
    monkeypatch.setitem(generator.PROFILES, "village", tiny)
    store, recovery_key = demo.generate(tmp_path / "t", "village", 5, login="trainer", passphrase="training-pass",
                                        kdf=FAST_KDF)
    try:
        assert recovery_key and store.actor.login == "trainer" and store.actor.role == Role.ADMIN
        assert check_store(store).sound
        with store.read() as s:
            assert s.execute(sa.select(sa.func.count()).select_from(Household)).scalar_one() == 25
    finally:
        store.close()


def test_open_demo_leaves_a_foreign_folder_alone(tmp_path):
    from shakyo_desk.domain.errors import StoreError

    root = tmp_path / "demo"
    root.mkdir()
    (root / "my-notes.txt").write_text("大事なメモ", encoding="utf-8")
    with pytest.raises(StoreError):
        demo.open_demo(root, kdf=FAST_KDF)
    assert (root / "my-notes.txt").read_text(encoding="utf-8") == "大事なメモ"


def test_a_failed_generation_leaves_no_half_store(tmp_path, monkeypatch):
    from shakyo_desk.demo import generator

    def boom(ctx, tick):
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(generator, "WRITE_STEPS", generator.WRITE_STEPS[:1] + [
        generator.WriteStep("boom", "失敗します", lambda plan: 1, boom)])
    with pytest.raises(RuntimeError):
        demo.generate(tmp_path / "g", "village", kdf=FAST_KDF)
    assert not (tmp_path / "g").exists()
    with pytest.raises(RuntimeError):
        demo.open_demo(tmp_path / "o", kdf=FAST_KDF)
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.partial").exists()
