"""The demo village's community side (issue 19): a believable network of ties written through
the services — most households living alone or elderly-only with one to three ties, a few with
none, overloaded supporters, ties unconfirmed for more than a year and ended ones — the 担い手
register with targets, 地域活動 raising 地域課題 linked to the plans' missing resources; the
store stays sound."""

from collections import Counter
from datetime import date, timedelta

import pytest

from shakyo_desk import demo
from shakyo_desk.demo.community import ISSUES, needs_tie
from shakyo_desk.demo.generator import make_plan
from shakyo_desk.domain.wareki import fiscal_year
from shakyo_desk.store.check import check_store
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import (
    activities,
    community_issues,
    households,
    supporters,
    ties,
)

TODAY = date(2026, 12, 7)
OVERLOAD = 5  # the map marks a supporter with more households than this


@pytest.fixture(scope="module")
def village(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "demo"
    store, _ = demo.generate(root, "village", kdf=FAST_KDF, today=TODAY)
    yield store
    store.close()


def test_the_plan_is_deterministic_and_the_right_size():
    first, second = make_plan("village", today=TODAY), make_plan("village", today=TODAY)
    assert [(t.household, t.kind, t.since) for t in first.community.ties] == \
        [(t.household, t.kind, t.since) for t in second.community.ties]
    assert 40 <= len(first.community.supporters) <= 80 and 60 <= len(first.community.activities) <= 160
    # large-town's proportions: about 15,000 ties over 8,000 households (checked on the village's ratio)
    assert 1.2 <= len(first.community.ties) / len(first.households) <= 2.2


def test_most_elderly_households_have_one_to_three_ties_and_a_few_none(village):
    needy = {h.id for h in households.list_households(village, limit=None) if needs_tie(h)}
    live = Counter(t.household_id for t in ties.list_ties(village))
    untied = {u.household_id for u in ties.households_without_tie(village)}
    assert untied == {h for h in needy if not live[h]}  # the no-tie list and the live ties agree
    assert 3 <= len(untied) <= 0.15 * len(needy)  # a few with none (some only an ended tie)
    one_to_three = [h for h in needy if 1 <= live[h] <= 3]
    assert len(one_to_three) >= 0.8 * len(needy)
    assert {live[h] for h in one_to_three} == {1, 2, 3}
    # the ties are where the households are: elderly households carry most of them
    assert sum(live[h] for h in needy) >= 0.5 * sum(live.values())


def test_some_supporters_carry_too_many_households(village):
    registered = {s.id: s for s in supporters.list_supporters(village)}
    load = Counter(t.supporter_id for t in ties.list_ties(village) if t.supporter_id)
    busy = [registered[i] for i, n in load.items() if n > OVERLOAD]
    assert any(s.current_role == "民生委員" and load[s.id] >= 8 for s in busy)
    assert any(s.current_role != "民生委員" and load[s.id] >= 6 for s in busy)
    assert sum(n > OVERLOAD for n in load.values()) <= 3  # a few, not everyone


def test_some_ties_are_unconfirmed_for_a_year_and_some_ended(village):
    live = ties.list_ties(village)
    every = ties.list_ties(village, include_ended=True)
    stale = [t for t in live if t.confirmed_on < TODAY - timedelta(days=365)]
    assert 0.05 * len(live) <= len(stale) <= 0.35 * len(live)
    ended = [t for t in every if t.ended_on is not None]
    assert ended and all(t.since is None or t.since <= t.ended_on <= TODAY for t in ended)
    assert {t.supporter_kind for t in every} >= {"住民", "民生委員", "事業所", "親族", "ボランティア", "サロン"}
    assert {t.kind for t in every} >= {"見守り", "声かけ", "安否確認", "買い物", "送迎", "ごみ出し", "話し相手"}
    assert {t.source for t in every} == {"世帯", "訪問", "懇談会"}
    assert all(t.since is None or t.since <= t.confirmed_on <= TODAY for t in every)


def test_the_register_has_consent_both_ways_and_targets_for_two_years(village):
    listed = supporters.list_supporters(village)
    assert {s.contact_consent for s in listed} == {True, False}
    assert {"民生委員", "サロン世話人", "見守りボランティア", ""} <= {s.current_role for s in listed}
    year = fiscal_year(TODAY)
    for fy in (year, year - 1):
        counts = supporters.counts(village, fy)
        assert all(c.target is not None for c in counts if c.district_id is None or c.supporters)


def test_activities_raise_issues_linked_to_the_plans_missing_resources(village):
    listed = activities.list_activities(village)
    assert {a.activity_type for a in listed} >= {"地域懇談会", "学習会", "協議体", "出張相談", "サロン立ち上げ"}
    year_start = date(fiscal_year(TODAY) - 1, 4, 1)
    last_year = [a for a in listed if a.activity_type == "地域懇談会" and year_start <= a.held_on < date(year_start.year + 1, 4, 1)]
    leaves = {a.district_id for a in last_year}
    assert len(leaves) == len(last_year) == 12  # one 地域懇談会 in every 集落
    assert all(a.participants and a.raised for a in last_year)
    issues = {i.title: i for i in community_issues.list_issues(village)}
    raised = [issues[title] for title, *_ in ISSUES if title in issues]
    assert len(raised) >= 3 and all(i.activity_count > 0 for i in raised)
    assert any(i.resource_count > 0 for i in raised) and any(i.status != "把握" and i.response for i in raised)


def test_the_store_is_sound(village):
    assert check_store(village).sound
