"""The demo's community side (issue 19): who watches over whom, the 担い手 register, 地域活動 and
the 地域課題 they raise.

The plan step is pure and seeded like the others. Most households living alone or elderly-only
get one to three ties — a neighbour (a real resident of the same 集落, by name), the 民生委員,
a shop or delivery (移動販売・新聞配達・生協の配達), a relative living away, a salon's 連絡員, a
volunteer — and a few have none (some only a tie that has ended); other households with an
elderly or flagged member get a tie or two too. One 民生委員 carries eight or more households
and one neighbour six (the map's "overloaded" marks); about one tie in six has not been
confirmed for more than a year, and some have ended. Ties heard on a visit are recorded on
that visit's day with its id, ties heard at a 地域懇談会 on its day with its id.

The 担い手 register: every 民生委員, residents who help at salons or volunteer, and people whose
把握シート said 「支え手になれそう」, some with consent to be contacted and some without; a target
per 集落 (and council-wide) for this 年度 and the last. 地域活動: a 地域懇談会 in every 集落 each
年度, 学習会, a 第２層協議体 per 地区 a few times a year, サロン立ち上げ支援 and 出張相談, with counts,
organisations and what was raised; several raise a 地域課題 (冬の雪かき, 移動手段, 買い物, 孤立),
which are also linked to the cases' 不足している社会資源 that show them.

The write step goes through the services (``supporters``, ``activities``, ``community_issues``,
and ``ties.add_ties``, one transaction per 集落, ended ties with their end), as the coordinator or the
staff member in charge, with ``today=`` pinned to each record's day."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from shakyo_desk.demo.fieldwork import _in_charge, _logins, _store_for
from shakyo_desk.demo.village import (
    HouseholdPlan,
    Plan,
    PlanStep,
    WriteContext,
    WriteStep,
)
from shakyo_desk.domain.roles import Role
from shakyo_desk.domain.vocab import TIE_NEEDED_FLAGS
from shakyo_desk.domain.wareki import fiscal_year, fiscal_year_bounds

OVERLOADED_COMMISSIONER = 9  # households the busiest 民生委員 watches over (the map marks 6+)
OVERLOADED_NEIGHBOUR = 6
USUAL_MAX = 4  # any other registered supporter (the 民生委員 of a district too)
HELPER_LOADS = (1, 1, 2, 2, 2, 3, 3, 4)  # how many households one registered helper takes on
STALE_SHARE = 0.17  # ties last confirmed more than a year ago
ENDED_SHARE = 0.07
NO_TIE_SHARE = 0.03  # of the households that should have one
SUPPORTERS_PER_HOUSEHOLD = 0.075  # large-town: about 600 for 8,000 households
ACTIVITY_YEARS = 3

# (title, words in a plan's 不足している社会資源 that show it, status, what the council and the town do)
ISSUES = [
    ("冬の雪かき", ("雪かき", "除雪"), "取組中",
     "区長会と除雪ボランティアの登録を始めた。村の除雪費補助の対象を一人暮らし高齢者の玄関先まで広げるよう要望中。"),
    ("移動手段がない", ("移動手段", "交通手段"), "検討中",
     "第２層協議体で乗り合いの送迎を検討。村のデマンド交通の運行日を増やすよう、役場と話し合っている。"),
    ("買い物できる店が近くにない", ("買い物", "店"), "取組中",
     "移動販売の巡回ルートに奥の集落を加えてもらった。買い物の付き添いボランティアを募集中。"),
    ("一人暮らし高齢者の孤立", ("集まれる場所", "孤立"), "把握",
     "懇談会で出された声をまとめ、サロンのない集落での立ち上げを支援する。"),
]

CAN_DO = ["見守り・声かけ", "買い物の付き添い", "通院の送迎（軽自動車）", "冬の雪かき", "ごみ出しの手伝い", "話し相手",
          "サロンのお茶出し", "草刈り", "電球の交換など家の小さな用事"]
ORGANISATIONS = ["区長会", "民生委員", "老人クラブ", "消防団", "婦人会", "PTA", "地区社協", "駐在所", "地域包括支援センター"]
BUSINESSES = [  # (name, tie kinds, frequency)
    ("移動販売車「{m}号」", ("買い物", "見守り"), "週1回"),
    ("{m}新聞店（新聞配達）", ("見守り",), "毎朝"),
    ("生協の個別配達（架空生協）", ("買い物", "安否確認"), "週1回"),
    ("郵便局の配達員（{m}郵便局）", ("声かけ",), "配達のとき"),
    ("配食サービス（{m}社協）", ("安否確認",), "平日の昼"),
]
RELATIVES = ["長女（架空市在住）", "長男（県外在住）", "次女（隣町在住）", "姪（架空市在住）", "弟（県外在住）", "孫（架空市在住）"]
FREQUENCY = {"見守り": ["毎日", "朝夕", "週3回ほど"], "声かけ": ["毎朝", "会ったとき", "週2回ほど"],
             "安否確認": ["毎晩電話", "週2回電話", "週1回"], "買い物": ["週1回", "週2回"], "送迎": ["通院のとき", "月2回"],
             "ごみ出し": ["週2回（燃えるごみの日）"], "話し相手": ["週1回ほど", "サロンの日"], "その他": [""]}
NEIGHBOUR_KINDS = ["声かけ", "見守り", "ごみ出し", "話し相手", "声かけ"]
HELPER_KINDS = ["送迎", "ごみ出し", "買い物", "話し相手", "見守り"]
ENDED_NOTES = ["移動販売の巡回が終わった。", "お隣が町の子どもの家に引っ越した。", "本人の入院をきっかけに途絶えた。"]

# What a 地域懇談会, 協議体 … hears: (text, the 地域課題 it raises or "")
RAISED = [
    ("冬の除雪が年々大変になっている。一人暮らしの家の玄関先の雪かきを誰が担うのか。", "冬の雪かき"),
    ("バスが減って通院に困る人が多い。乗り合いで送ってもらえる仕組みがほしい。", "移動手段がない"),
    ("集落の商店が閉まり、車のない人は買い物ができない。", "買い物できる店が近くにない"),
    ("一人暮らしの方が増え、何日も誰とも話さない人がいる。", "一人暮らし高齢者の孤立"),
    ("防災訓練に要支援者の避難を組み込みたい。", ""),
    ("サロンの世話人が高齢になり、後継ぎがいない。", ""),
    ("空き家が増えて、草刈りが追いつかない。", ""),
    ("見守りの気づきを誰に伝えればよいかを確かめたい。", ""),
]
FOLLOWED = ["区長会で話し合うことになった。", "社協で担い手の募集を始めた。", "次の協議体で取り上げる。",
            "役場の担当課に伝えた。", "サロンで見守りの学習会を開くことにした。"]
STUDY_TITLES = ["認知症サポーター養成講座（{d}）", "見守りの学習会（{d}）", "防災と要支援者の学習会（{d}）",
                "支え合いマップづくり（{d}）"]


@dataclass
class SupporterPlan:
    name: str
    kana: str
    district: str | None  # district key
    can_do: str
    consent: bool
    role: str
    kind: str  # the tie's 支え手の立場 when it is theirs
    since: date | None
    person: tuple[int, int] | None = None  # (household index, member index)
    sheet: int | None = None  # index in plan.sheets
    household: int | None = None  # their own household (never a tie to it)


@dataclass
class ActivityPlan:
    activity_type: str
    held_on: date
    district: str | None
    title: str
    participants: int | None
    organisations: list[str]
    raised: str
    followed: str
    issue: str = ""  # the 地域課題's title


@dataclass
class TiePlan:
    household: int
    kind: str
    recorded_on: date  # confirmed_on
    since: date | None
    supporter: int | None = None  # index in community.supporters
    name: str = ""
    supporter_kind: str = ""
    frequency: str = ""
    source: str = "世帯"
    contact: int | None = None  # index in plan.contacts
    activity: int | None = None  # index in community.activities
    ended_on: date | None = None
    note: str = ""


@dataclass
class CommunityPlan:
    supporters: list[SupporterPlan] = field(default_factory=list)
    activities: list[ActivityPlan] = field(default_factory=list)
    ties: list[TiePlan] = field(default_factory=list)
    targets: list[tuple[int, str | None, int]] = field(default_factory=list)  # (年度, district key, target)
    untied: list[int] = field(default_factory=list)  # households left with no tie on purpose
    overloaded: list[int] = field(default_factory=list)  # supporters given many households


def needs_tie(h: HouseholdPlan) -> bool:
    return any(f in TIE_NEEDED_FLAGS for f in h.flags)


def _closed(plan: Plan) -> set[int]:
    """Households the services treat as closed (every sheet and case 終結, 見守り なし): no new tie."""
    statuses: dict[int, set[str]] = {}
    for s in plan.sheets:
        if s.household is not None:
            statuses.setdefault(s.household, set()).add(s.status)
    for c in plan.closed_cases:
        statuses.setdefault(c.household, set()).add(c.history[-1][0] if c.history else "終結")
    for c in plan.support_cases:
        statuses.setdefault(c.household, set()).add(c.status)
    return {i for i, found in statuses.items() if found == {"終結"} and plan.households[i].watch_level == "なし"}


class _Planner:
    def __init__(self, plan: Plan, rng: random.Random):
        self.plan, self.rng, self.today = plan, rng, plan.today
        self.out = CommunityPlan()
        self.closed = _closed(plan)
        self.by_district: dict[str, list[int]] = {}
        for i, h in enumerate(plan.households):
            self.by_district.setdefault(h.district, []).append(i)
        self.load: dict[int, int] = {}  # supporter → households
        # Each helper's own limit (people differ; everyone at USUAL_MAX would look made up).
        self.limit: dict[int, int] = {}
        self.contacts_of: dict[int, list[int]] = {}
        for n, c in enumerate(plan.contacts):
            if c.household is not None and c.on <= self.today:
                self.contacts_of.setdefault(c.household, []).append(n)
        self.names = {d.key: d.name for d in plan.districts}

    def day_back(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    # -- the register

    def supporters(self) -> None:
        plan, rng = self.plan, self.rng
        wanted = max(len(plan.leaf_districts()) * 3, round(len(plan.households) * SUPPORTERS_PER_HOUSEHOLD))
        residents: dict[str, tuple[int, int]] = {}
        helpers: list[tuple[int, int, str]] = []
        for i, h in enumerate(plan.households):
            for m, p in enumerate(h.members):
                residents.setdefault(f"{h.district}:{p.name}", (i, m))
                role = next((r for r in ("連絡員", "サロン世話人", "ボランティア") if r in p.roles), "")
                if role and i not in self.closed:
                    helpers.append((i, m, role))
        # every 民生委員 of every 集落
        seen = set()
        for i, h in enumerate(plan.households):
            key = (h.district, h.welfare_commissioner)
            if not h.welfare_commissioner or key in seen:
                continue
            seen.add(key)
            person = residents.get(f"{h.district}:{h.welfare_commissioner}")
            kana = plan.households[person[0]].members[person[1]].kana if person else ""
            self.out.supporters.append(SupporterPlan(
                h.welfare_commissioner, kana, h.district, "見守り・声かけ、困りごとの相談", True, "民生委員", "民生委員",
                self.day_back(200, 2000), person, household=person[0] if person else None))
        # people whose sheet said they could help
        from_sheets = [n for n, s in enumerate(plan.sheets) if s.supporter and s.household is not None
                       and s.noticed_on <= self.today and s.household not in self.closed]
        rng.shuffle(from_sheets)
        for n in from_sheets[:max(2, wanted // 5)]:
            sheet = plan.sheets[n]
            h = plan.households[sheet.household]
            head = h.members[0]
            since = min(self.today, sheet.noticed_on + timedelta(days=rng.randint(10, 90)))
            self.out.supporters.append(SupporterPlan(
                head.name, head.kana, h.district, sheet.supporter.rstrip("。"), rng.random() < 0.45, "", "住民", since,
                (sheet.household, 0), sheet=n, household=sheet.household))
        # salon helpers, 連絡員 and volunteers
        rng.shuffle(helpers)
        kinds = {"連絡員": "サロン", "サロン世話人": "サロン", "ボランティア": "ボランティア"}
        roles = {"連絡員": "サロンの連絡員", "サロン世話人": "サロン世話人", "ボランティア": "見守りボランティア"}
        for i, m, role in helpers:
            if len(self.out.supporters) >= wanted:
                break
            p = plan.households[i].members[m]
            if any(s.person == (i, m) for s in self.out.supporters):
                continue
            can = "、".join(rng.sample(CAN_DO, 2))
            self.out.supporters.append(SupporterPlan(
                p.name, p.kana, plan.households[i].district, can, rng.random() < 0.7, roles[role], kinds[role],
                self.day_back(30, 1500), (i, m), household=i))
        # targets: this 年度 and the last, per 集落 and council-wide
        year = fiscal_year(self.today)
        per = {}
        for s in self.out.supporters:
            per[s.district] = per.get(s.district, 0) + 1
        for d in plan.leaf_districts():
            have = per.get(d.key, 0)
            self.out.targets.append((year, d.key, have + rng.randint(0, 3)))
            self.out.targets.append((year - 1, d.key, max(1, have + rng.randint(-2, 1))))
        total = len(self.out.supporters)
        self.out.targets += [(year, None, round(total * 1.2)), (year - 1, None, round(total * 1.05))]

    # -- 地域活動

    def activities(self) -> None:
        plan, rng = self.plan, self.rng
        areas = [d for d in plan.districts if d.parent is None]
        leaves = plan.leaf_districts()
        year = fiscal_year(self.today)
        for fy in range(year - min(ACTIVITY_YEARS, plan.profile.years) + 1, year + 1):
            start, end = fiscal_year_bounds(fy)

            def on(first_month_offset: int, last_month_offset: int, start: date = start, end: date = end) -> date | None:
                low = start + timedelta(days=30 * first_month_offset)
                high = min(start + timedelta(days=30 * last_month_offset), end - timedelta(days=1), self.today)
                if high < low:
                    return None
                d = low + timedelta(days=rng.randint(0, (high - low).days))
                return d - timedelta(days=max(0, d.weekday() - 4)) if d - timedelta(days=2) >= low else d

            for d in leaves:
                held = on(5, 11) or on(0, 11)  # autumn and winter, or whatever of the 年度 has passed
                if held is None:
                    continue
                self.activity("地域懇談会", held, d.key, f"{d.name}地域懇談会", rng.randint(12, 45), 3)
                if rng.random() < 0.6:
                    held = on(0, 11)
                    if held:
                        self.activity("学習会", held, d.key, rng.choice(STUDY_TITLES).format(d=d.name),
                                      rng.randint(8, 30), 1)
            for a in areas:
                for quarter in range(4):
                    held = on(quarter * 3, quarter * 3 + 2)
                    if held:
                        self.activity("協議体", held, a.key, f"第２層協議体（{a.name}）", rng.randint(8, 16), 2)
                for half in range(2):
                    held = on(half * 6, half * 6 + 5)
                    if held:
                        self.activity("学習会" if rng.random() < 0.5 else "出張相談", held, a.key,
                                      f"出張よろず相談（{a.name}）", rng.randint(2, 9), 0)
                if rng.random() < 0.4:
                    held = on(0, 11)
                    if held:
                        d = rng.choice([x for x in leaves if x.parent == a.key] or leaves)
                        self.activity("サロン立ち上げ", held, d.key, f"{d.name}サロン立ち上げ準備会", rng.randint(5, 12), 1)
        self.out.activities.sort(key=lambda x: x.held_on)

    def activity(self, kind: str, held_on: date, district: str | None, title: str, participants: int,
                 organisations: int) -> None:
        rng = self.rng
        raised, issue = rng.choice(RAISED) if kind in ("地域懇談会", "協議体", "学習会") else ("", "")
        if kind == "出張相談":
            raised = "年金の書類、草刈りの頼み先、通院の足についての相談があった。"
        if kind == "学習会" and title.startswith("出張"):
            title = title.replace("出張よろず相談", "見守りの学習会")
        self.out.activities.append(ActivityPlan(
            kind, held_on, district, title, participants, rng.sample(ORGANISATIONS, organisations), raised,
            rng.choice(FOLLOWED) if raised else "", issue if rng.random() < 0.7 else ""))

    # -- ties

    def recorded(self, since: date) -> date:
        if self.rng.random() < STALE_SHARE:
            day = self.day_back(380, 1000)
        else:
            day = self.day_back(0, 330)
        return max(day, since)

    def since(self) -> date:
        return self.day_back(60, 3650)

    def tie(self, hi: int, kind: str, *, supporter: int | None = None, name: str = "", supporter_kind: str = "",
            frequency: str = "") -> TiePlan:
        since = self.since()
        recorded = self.recorded(since)
        t = TiePlan(hi, kind, recorded, since, supporter, name, supporter_kind,
                    frequency or self.rng.choice(FREQUENCY[kind]))
        r = self.rng.random()
        visits = [n for n in self.contacts_of.get(hi, ()) if self.plan.contacts[n].on >= since]
        meetings = [n for n, a in enumerate(self.out.activities) if a.activity_type == "地域懇談会"
                    and a.district == self.plan.households[hi].district and a.held_on >= since]
        if r < 0.2 and visits:
            t.source, t.contact = "訪問", self.rng.choice(visits)
            t.recorded_on = self.plan.contacts[t.contact].on
        elif r < 0.3 and meetings:
            t.source, t.activity = "懇談会", self.rng.choice(meetings)
            t.recorded_on = self.out.activities[t.activity].held_on
        self.out.ties.append(t)
        if supporter is not None:
            self.load[supporter] = self.load.get(supporter, 0) + 1
        return t

    def neighbour(self, hi: int) -> str:
        h = self.plan.households[hi]
        for _ in range(8):
            other = self.rng.choice(self.by_district[h.district])
            if other == hi:
                continue
            p = self.rng.choice(self.plan.households[other].members)
            if 35 <= p.age <= 82 and not {"要介護", "認知症"} & set(p.flags):
                return p.name
        return "近所の方"

    def limit_of(self, n: int) -> int:
        return self.limit.setdefault(n, self.rng.choice(HELPER_LOADS))

    def registered(self, hi: int, wanted_kind: str | None = None) -> int | None:
        h = self.plan.households[hi]
        pool = [n for n, s in enumerate(self.out.supporters) if s.district == h.district and s.household != hi
                and s.kind != "民生委員" and n not in self.out.overloaded and self.load.get(n, 0) < self.limit_of(n)
                and (wanted_kind is None or s.kind == wanted_kind)]
        return self.rng.choice(pool) if pool else None

    def commissioner(self, hi: int) -> int | None:
        h = self.plan.households[hi]
        return next((n for n, s in enumerate(self.out.supporters) if s.kind == "民生委員" and s.district == h.district
                     and s.name == h.welfare_commissioner and s.household != hi), None)

    def one_tie(self, hi: int, used: set) -> None:
        rng, m = self.rng, self.plan.municipality
        for _ in range(6):
            choice = rng.choices(["neighbour", "commissioner", "business", "relative", "salon", "volunteer"],
                                 weights=[34, 8, 20, 18, 10, 10])[0]
            if choice in used:
                continue
            if choice == "neighbour":
                self.tie(hi, rng.choice(NEIGHBOUR_KINDS), name=self.neighbour(hi), supporter_kind="住民")
            elif choice == "commissioner":
                n = self.commissioner(hi)
                if n is None or n in self.out.overloaded or self.load.get(n, 0) >= USUAL_MAX:
                    continue
                self.tie(hi, rng.choice(["見守り", "安否確認"]), supporter=n, supporter_kind="民生委員")
            elif choice == "business":
                name, kinds, frequency = rng.choice(BUSINESSES)
                self.tie(hi, rng.choice(kinds), name=name.format(m=m), supporter_kind="事業所", frequency=frequency)
            elif choice == "relative":
                self.tie(hi, rng.choice(["安否確認", "話し相手", "送迎"]), name=rng.choice(RELATIVES), supporter_kind="親族")
            else:
                n = self.registered(hi, "サロン" if choice == "salon" else "ボランティア")
                if n is None:
                    continue
                kind = rng.choice(["声かけ", "話し相手"]) if choice == "salon" else rng.choice(HELPER_KINDS)
                self.tie(hi, kind, supporter=n, supporter_kind=self.out.supporters[n].kind)
            used.add(choice)
            return

    def ties(self) -> None:
        plan, rng = self.plan, self.rng
        open_households = [i for i in range(len(plan.households)) if i not in self.closed]
        needy = [i for i in open_households if needs_tie(plan.households[i])]
        others = [i for i in open_households if not needs_tie(plan.households[i]) and (
            any(p.age >= 65 for p in plan.households[i].members)
            or {"8050", "ひとり親", "障がい", "身寄りなし"} & set(plan.households[i].flags))]
        rng.shuffle(needy)
        untied = needy[:max(3, round(len(needy) * NO_TIE_SHARE))]
        self.out.untied = sorted(untied)
        self.overload(needy[len(untied):])
        given: dict[int, int] = {}  # the overloaded supporters' households
        for t in self.out.ties:
            given[t.household] = given.get(t.household, 0) + 1
        for hi in needy[len(untied):]:
            count = rng.choices([1, 2, 3], weights=[20, 40, 40])[0]
            used: set[str] = set()
            have = given.get(hi, 0)
            for _ in range(max(0, count - have)):
                self.one_tie(hi, used)
        for hi in others:
            if rng.random() < 0.9:
                used = set()
                for _ in range(rng.choice([1, 2, 2, 3, 3])):
                    self.one_tie(hi, used)
        # a profile may ask for more (large-town: about 15,000): more households with elders or flags
        wanted = round(plan.profile.ties_per_household * len(plan.households))
        count = {hi: 0 for hi in others}
        for t in self.out.ties:
            if t.household in count:
                count[t.household] += 1
        room = [hi for hi in others if count[hi] < 4]
        while len(self.out.ties) < wanted * (1 - ENDED_SHARE) and room:
            hi = rng.choice(room)
            self.one_tie(hi, set())
            count[hi] += 1
            if count[hi] >= 4:
                room.remove(hi)
        # some ties have ended: extra ones of tied households, and the only one of a few untied ones
        ended = rng.sample(self.out.ties, round(len(self.out.ties) * ENDED_SHARE))
        for t in ended:
            if t.supporter in self.out.overloaded:
                continue
            copy = TiePlan(t.household, t.kind, t.recorded_on, t.since, t.supporter, t.name, t.supporter_kind,
                           t.frequency, t.source, t.contact, t.activity)
            copy.since = min(t.since, t.recorded_on) - timedelta(days=rng.randint(200, 900))
            copy.recorded_on = copy.since + timedelta(days=rng.randint(0, (t.recorded_on - copy.since).days))
            copy.source, copy.contact, copy.activity = "世帯", None, None
            self.end(copy)
        for hi in untied[: max(1, len(untied) // 3)]:
            name, _, frequency = BUSINESSES[0]
            t = TiePlan(hi, "買い物", self.day_back(500, 900), None, name=name.format(m=plan.municipality),
                        supporter_kind="事業所", frequency=frequency)
            t.since = t.recorded_on - timedelta(days=rng.randint(100, 700))
            self.end(t)

    def end(self, t: TiePlan) -> None:
        t.ended_on = t.recorded_on + timedelta(days=self.rng.randint(0, max(0, (self.today - t.recorded_on).days)))
        t.note = self.rng.choice(ENDED_NOTES)
        self.out.ties.append(t)

    def overload(self, needy: list[int]) -> None:
        """The busiest 民生委員 and the busiest neighbour, in the 集落 with most households to watch."""
        rng = self.rng
        per: dict[str, list[int]] = {}
        for hi in needy:
            per.setdefault(self.plan.households[hi].district, []).append(hi)
        for district, households in sorted(per.items(), key=lambda kv: -len(kv[1])):
            commissioner = next((n for n, s in enumerate(self.out.supporters)
                                 if s.kind == "民生委員" and s.district == district), None)
            neighbour = next((n for n, s in enumerate(self.out.supporters)
                              if s.kind in ("ボランティア", "サロン") and s.district == district), None)
            if commissioner is None or neighbour is None:
                continue
            for n, count, kinds in ((commissioner, OVERLOADED_COMMISSIONER, ["見守り", "安否確認"]),
                                    (neighbour, OVERLOADED_NEIGHBOUR, ["声かけ", "ごみ出し", "見守り"])):
                self.out.overloaded.append(n)
                supporter = self.out.supporters[n]
                mine = [hi for hi in households if hi != supporter.household][:count]
                for hi in mine:
                    t = self.tie(hi, rng.choice(kinds), supporter=n, supporter_kind=supporter.kind)
                    t.recorded_on = max(t.since, self.day_back(0, 300))  # a busy supporter, heard of lately
                    t.source, t.contact, t.activity = "世帯", None, None
            return


def plan_community(plan: Plan, rng: random.Random) -> None:
    if not plan.households or not plan.staff:
        plan.community = CommunityPlan()
        return
    planner = _Planner(plan, rng)
    planner.supporters()
    planner.activities()
    planner.ties()
    plan.community = planner.out


PLAN_STEPS = [PlanStep("community", plan_community)]


# ---- write -------------------------------------------------------------------------


def _coordinator(ctx: WriteContext):
    login = next(iter(_logins(ctx.plan, Role.COORDINATOR)), None)
    return _store_for(ctx, login) if login else ctx.store


def write_community(ctx: WriteContext, tick: Callable[[int], None]) -> None:
    from shakyo_desk.store.services import (
        activities,
        community_issues,
        supporters,
        ties,
    )
    from shakyo_desk.store.services.missing_resources import list_missing_resources

    plan, community = ctx.plan, ctx.plan.community
    coordinator = _coordinator(ctx)
    in_charge = _in_charge(plan)
    district = lambda key: ctx.district_ids[key] if key else None

    supporter_ids = []
    for s in community.supporters:
        supporter_ids.append(supporters.add_supporter(
            coordinator, s.name, kana=s.kana, district_id=district(s.district), can_do=s.can_do,
            contact_consent=s.consent, current_role=s.role,
            person_id=ctx.person_ids[s.person] if s.person else None,
            sheet_id=ctx.sheet_ids[s.sheet] if s.sheet is not None else None, since=s.since, today=plan.today))
    for year, key, target in community.targets:
        supporters.set_target(coordinator, year, target, district(key))
    tick(1)

    issue_ids = {i.title: i.id for i in community_issues.list_issues(coordinator)}
    first_raised = {}
    for a in community.activities:
        if a.issue:
            first_raised.setdefault(a.issue, a)
    for title, _, _, _ in ISSUES:
        if title not in issue_ids and title in first_raised:
            issue_ids[title] = community_issues.add_issue(coordinator, title, today=first_raised[title].held_on)
    activity_ids = []
    for a in community.activities:
        store = _store_for(ctx, in_charge[a.district]) if a.district in in_charge else coordinator
        activity_ids.append(activities.add_activity(
            store, a.activity_type, a.held_on, a.title, district_id=district(a.district), participants=a.participants,
            organisations=a.organisations, raised=a.raised, followed=a.followed,
            issue_ids=[issue_ids[a.issue]] if a.issue else [], today=a.held_on))
    tick(1)

    resources = list_missing_resources(coordinator)
    for title, words, status, response in ISSUES:
        issue_id = issue_ids.get(title)
        if issue_id is None:
            continue
        for r in [r for r in resources if any(w in r.text for w in words)][:40]:
            community_issues.link_resource(coordinator, issue_id, r.id)
        community_issues.set_status(coordinator, issue_id, status, response)
    tick(1)

    by_district: dict[str, list[tuple[int, TiePlan]]] = {}
    for n, t in enumerate(community.ties):
        by_district.setdefault(plan.households[t.household].district, []).append((n, t))
    for d in plan.leaf_districts():
        batch = by_district.get(d.key, [])
        if batch:
            store = _store_for(ctx, in_charge[d.key]) if d.key in in_charge else coordinator
            rows = [{
                "household_id": ctx.household_by_index[t.household], "kind": t.kind,
                "supporter_id": supporter_ids[t.supporter] if t.supporter is not None else None,
                "supporter_name": t.name if t.supporter is None else "", "supporter_kind": t.supporter_kind,
                "frequency": t.frequency, "since": t.since, "note": t.note,
                "source": t.source, "contact_id": ctx.contact_ids[t.contact] if t.contact is not None else None,
                "activity_id": activity_ids[t.activity] if t.activity is not None else None,
                "ended_on": t.ended_on, "today": max(t.recorded_on, t.ended_on or t.recorded_on),
            } for _, t in batch]
            ties.add_ties(store, rows)
        tick(1)


WRITE_STEPS = [WriteStep("community", "支え合いの関係と地域活動を書いています",
                         lambda plan: 3 + len(plan.leaf_districts()), write_community)]
