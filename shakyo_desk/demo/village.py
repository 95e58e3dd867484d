"""The village's make-up, which every other part of the demo builds on: profiles, districts,
staff, agencies, households and persons (a pure, seeded plan), their write steps, and the
step types (``PlanStep``, ``WriteStep``, ``WriteContext``) that ``fieldwork``, ``conferences``
and ``closed_cases`` use. ``generator`` puts the parts together."""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from shakyo_desk.domain.people import age_on
from shakyo_desk.domain.roles import Role
from shakyo_desk.demo import names as N

# ---- profiles ------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    name: str
    persons: int
    households: int
    districts: int  # 集落/行政区 where households live
    areas: int  # 地区 above them
    seed: int
    coordinators: int
    staff: int
    reporters: int
    label: str
    # field records (issue 3): years of history and their volume
    years: int = 1
    salons: int = 2
    attendances_per_year: int = 60  # named attendances (延べ, without the unnamed)
    sheets_per_year: int = 10
    contacts: int = 100  # over all the years
    twice_monthly_share: float = 0.2  # resident-run salons meeting twice a month
    conferences: int = 10  # case conferences over all the years (issue 5)
    support_cases: int = 0  # 支援ケース over all the years; 0: one per stage slot (demo/cases.py, issue 18)
    ties_per_household: float = 0.0  # 支え合いの関係 wanted (demo/community.py, issue 19); 0: as the network gives


PROFILES: dict[str, Profile] = {
    "village": Profile("village", 1_800, 700, 12, 3, 1800, 2, 4, 2, "小さな村", years=3, salons=20,
                       attendances_per_year=1_000, sheets_per_year=100, contacts=4_500, twice_monthly_share=0.1,
                       conferences=36),
    "large-town": Profile("large-town", 20_000, 8_000, 50, 8, 20000, 3, 10, 4, "大きめの町", years=10, salons=60,
                          attendances_per_year=20_000, sheets_per_year=500, contacts=150_000,
                          twice_monthly_share=0.85, conferences=1_000, support_cases=2_000,
                          ties_per_household=1.9),
}

# ---- plan records (no ids: keys local to the plan) --------------------------------


@dataclass
class DistrictPlan:
    key: str
    name: str
    kana: str
    parent: str | None
    sort_order: int


@dataclass
class StaffPlan:
    login: str
    display_name: str
    role: str
    section: str
    districts: list[str]  # district keys


@dataclass
class AgencyPlan:
    name: str
    kana: str
    field: str
    contact: str
    phone: str
    services: str


@dataclass
class PersonPlan:
    name: str
    kana: str
    sex: str
    age: int
    birth_date: date | None
    age_band: str
    relation: str
    flags: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    wishes: str = ""
    notes: str = ""
    foreign: bool = False


@dataclass
class HouseholdPlan:
    kind: str
    district: str  # district key
    address: str
    phone: str
    housing_type: str
    flags: list[str]
    members: list[PersonPlan]
    welfare_commissioner: str = ""
    staff_main: str | None = None  # staff login
    staff_sub: str | None = None
    watch_level: str = "なし"
    watch_interval_days: int | None = None
    notes: str = ""


@dataclass
class Plan:
    profile: Profile
    seed: int
    today: date
    council_name: str
    municipality: str
    admin_name: str = ""
    districts: list[DistrictPlan] = field(default_factory=list)
    staff: list[StaffPlan] = field(default_factory=list)
    agencies: list[AgencyPlan] = field(default_factory=list)
    households: list[HouseholdPlan] = field(default_factory=list)
    # field records (plan classes in fieldwork.py)
    places: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    salons: list = field(default_factory=list)
    sheets: list = field(default_factory=list)
    referrals: list = field(default_factory=list)
    # conferences and consent (plan classes in conferences.py)
    consents: list = field(default_factory=list)
    conferences: list = field(default_factory=list)
    # households whose only records are a case closed years ago (closed_cases.py, issue 6)
    closed_cases: list = field(default_factory=list)
    # 支援ケース at every stage (plan classes in cases.py, issue 18)
    support_cases: list = field(default_factory=list)
    # the community side: ties, 担い手, 地域活動 (community.CommunityPlan, issue 19)
    community: object = None

    @property
    def persons(self) -> list[PersonPlan]:
        return [p for h in self.households for p in h.members]

    def leaf_districts(self) -> list[DistrictPlan]:
        return [d for d in self.districts if d.parent is not None]


# ---- helpers -------------------------------------------------------------------


def fake_phone(rng: random.Random, mobile: bool = False) -> str:
    """Obviously fictional numbers: 0000-xx-xxxx (fixed) or 000-xxxx-xxxx (mobile)."""
    if mobile:
        return f"000-{rng.randint(0, 9999):04d}-{rng.randint(0, 9999):04d}"
    return f"0000-{rng.randint(10, 99):02d}-{rng.randint(0, 9999):04d}"


def birth_for_age(rng: random.Random, age: int, today: date) -> date:
    """A birth date giving exactly ``age`` on ``today``."""
    latest = _same_day(today, today.year - age)  # birthday today
    born = latest - timedelta(days=rng.randint(0, 364))
    if age_on(born, today) != age:
        born = latest
    return born


def _same_day(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


NAMING_YEAR = 2025


def band_of(age: int) -> str:
    return "10歳未満" if age < 10 else f"{age // 10 * 10}代"


def generation(birth_year: int) -> str:
    if birth_year < 1950:
        return "old"
    if birth_year < 1975:
        return "middle"
    if birth_year < 2000:
        return "young"
    return "kids"


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


class People:
    """Makes persons with consistent names, kana, sexes and ages."""

    def __init__(self, rng: random.Random, today: date):
        self.rng = rng
        self.today = today
        self.taken: set[str] = set()  # names already used in the household being made

    def new_household(self) -> None:
        self.taken = set()

    def _given(self, pool: list) -> object:
        for _ in range(12):
            choice = self.rng.choice(pool)
            key = choice[0] if isinstance(choice, tuple) else choice
            if key not in self.taken:
                break
        self.taken.add(key)
        return choice

    def surname(self) -> tuple[str, str]:
        # A few family names dominate each village, as in real hamlets.
        pool = N.SURNAMES
        if self.rng.random() < 0.35:
            pool = N.SURNAMES[:30]
        return self.rng.choice(pool)

    def person(self, family: tuple[str, str], sex: str, age: int, relation: str) -> PersonPlan:
        # Name fashions by birth year, counted from a fixed year so that the plan
        # (names, ages) does not change with the day it is made.
        given, given_kana = self._given(N.GIVEN_NAMES[generation(NAMING_YEAR - age)][sex])
        born = birth_for_age(self.rng, age, self.today)
        # Some records hold only an age band (birth date unknown to the council).
        only_band = self.rng.random() < (0.12 if age >= 75 else 0.03)
        return PersonPlan(
            name=f"{family[0]} {given}", kana=f"{family[1]} {given_kana}", sex=sex, age=age,
            birth_date=None if only_band else born, age_band=band_of(age), relation=relation,
        )

    def foreigner(self, sex: str, age: int, relation: str) -> PersonPlan:
        family = self.rng.choice(N.FOREIGN_SURNAMES)
        given = self._given(N.FOREIGN_GIVEN[sex])
        name = f"{family} {given}"
        return PersonPlan(name=name, kana=name, sex=sex, age=age, birth_date=birth_for_age(self.rng, age, self.today),
                          age_band=band_of(age), relation=relation, flags=["外国籍"], foreign=True)

    def other_sex(self, sex: str) -> str:
        return "男" if sex == "女" else "女"

    def sex(self, female_share: float = 0.5) -> str:
        return "女" if self.rng.random() < female_share else "男"

    def elderly_age(self, low: int = 65, high: int = 99) -> int:
        # Weighted towards 75–89, as in an ageing village.
        age = int(self.rng.triangular(low, high, 82))
        return clamp(age, low, high)

    def spouse_age(self, head_sex: str, head_age: int, low: int = 20) -> int:
        diff = self.rng.randint(0, 5) if head_sex == "男" else -self.rng.randint(0, 5)
        return clamp(head_age - diff, low, 100)

    def children_ages(self, mother_age: int, count: int, oldest_max: int | None = None) -> list[int]:
        """Ages of children born when the mother was 20–42."""
        ages = []
        top = mother_age - 20
        if oldest_max is not None:
            top = min(top, oldest_max)
        low = max(0, mother_age - 42)
        if top < low:
            return []
        age = self.rng.randint(low, top)
        for _ in range(count):
            if age < low:
                break
            ages.append(age)
            age -= self.rng.randint(1, 5)
        return ages


# ---- household kinds -----------------------------------------------------------
# Each returns (members, household flags). Members[0] is the head (本人).


def _single_elderly(pp: People):
    sex = pp.sex(0.72)
    head = pp.person(pp.surname(), sex, pp.elderly_age(), "本人")
    return [head], ["一人暮らし高齢者"]


def _elderly_couple(pp: People):
    fam = pp.surname()
    husband_age = pp.elderly_age(67, 97)
    head = pp.person(fam, "男", husband_age, "本人")
    wife = pp.person(fam, "女", clamp(pp.spouse_age("男", husband_age), 65, 99), "配偶者")
    members = [head, wife]
    if pp.rng.random() < 0.08:  # an elderly sibling living with them
        members.append(pp.person(fam, pp.sex(0.7), clamp(husband_age + pp.rng.randint(-6, 6), 65, 99), "兄弟姉妹"))
    return members, ["高齢者のみ"]


def _eighty_fifty(pp: People):
    fam = pp.surname()
    parent_sex = pp.sex(0.7)
    parent_age = pp.rng.randint(76, 95)
    head = pp.person(fam, parent_sex, parent_age, "本人")
    members = [head]
    mother_age = parent_age if parent_sex == "女" else parent_age - 3
    if parent_sex == "男" and pp.rng.random() < 0.4:
        members.append(pp.person(fam, "女", clamp(parent_age - 3, 70, 99), "配偶者"))
    child_age = clamp(mother_age - pp.rng.randint(26, 36), 45, 65)
    child = pp.person(fam, pp.sex(0.3), child_age, "子")
    if pp.rng.random() < 0.5:
        child.flags.append("ひきこもり")
    members.append(child)
    return members, ["8050"]


def _elderly_with_child(pp: People):
    """Elderly parent(s) with an adult child who works and is the key person."""
    fam = pp.surname()
    parent_age = pp.elderly_age(70, 95)
    sex = pp.sex(0.6)
    head = pp.person(fam, sex, parent_age, "本人")
    members = [head]
    mother_age = parent_age if sex == "女" else parent_age - 3
    if sex == "男" and pp.rng.random() < 0.7:
        members.append(pp.person(fam, "女", clamp(parent_age - 3, 65, 99), "配偶者"))
    child = pp.person(fam, pp.sex(0.5), clamp(mother_age - pp.rng.randint(25, 38), 35, 64), "子")
    child.roles.append("キーパーソン")
    members.append(child)
    return members, []


def _single_adult(pp: People):
    age = pp.rng.randint(22, 64)
    head = pp.person(pp.surname(), pp.sex(0.4), age, "本人")
    return [head], []


def _couple(pp: People):
    fam = pp.surname()
    age = pp.rng.randint(25, 64) if pp.rng.random() < 0.4 else pp.rng.randint(50, 64)
    head = pp.person(fam, "男", age, "本人")
    wife = pp.person(fam, "女", clamp(pp.spouse_age("男", age), 22, 64), "配偶者")
    return [head, wife], []


def _family(pp: People):
    fam = pp.surname()
    age = pp.rng.randint(28, 55)
    head = pp.person(fam, "男", age, "本人")
    wife_age = clamp(pp.spouse_age("男", age), 24, 55)
    wife = pp.person(fam, "女", wife_age, "配偶者")
    kids = pp.children_ages(wife_age, pp.rng.choice([1, 2, 2, 2, 3, 3, 4]), oldest_max=22)
    members = [head, wife] + [pp.person(fam, pp.sex(), a, "子") for a in kids]
    return members, []


def _three_generations(pp: People):
    fam = pp.surname()
    head_age = pp.rng.randint(60, 82)
    head = pp.person(fam, "男", head_age, "本人")
    members = [head]
    wife_age = clamp(pp.spouse_age("男", head_age), 55, 85)
    if pp.rng.random() < 0.8:
        members.append(pp.person(fam, "女", wife_age, "配偶者"))
    son_age = clamp(wife_age - pp.rng.randint(24, 34), 28, 55)
    members.append(pp.person(fam, "男", son_age, "子"))
    dil_age = clamp(son_age - pp.rng.randint(-3, 5), 25, 55)
    members.append(pp.person(fam, "女", dil_age, "子の配偶者"))
    for a in pp.children_ages(dil_age, pp.rng.choice([1, 2, 2, 3]), oldest_max=20):
        members.append(pp.person(fam, pp.sex(), a, "孫"))
    if pp.rng.random() < 0.12 and head_age <= 72:  # the head's mother too: four generations
        members.append(pp.person(fam, "女", clamp(head_age + pp.rng.randint(20, 28), 85, 101), "親"))
    return members, []


def _single_parent(pp: People):
    fam = pp.surname()
    sex = pp.sex(0.85)
    age = pp.rng.randint(26, 50)
    head = pp.person(fam, sex, age, "本人")
    mother_age = age if sex == "女" else age - 2
    kids = pp.children_ages(mother_age, pp.rng.choice([1, 1, 2, 2, 3]), oldest_max=17)
    members = [head] + [pp.person(fam, pp.sex(), a, "子") for a in kids]
    if not kids:
        members.append(pp.person(fam, pp.sex(), pp.rng.randint(3, 12), "子"))
    if pp.rng.random() < 0.25:  # moved back in with a parent
        members.append(pp.person(fam, "女", clamp(age + pp.rng.randint(24, 32), 50, 85), "親"))
    return members, ["ひとり親"]


def _foreign(pp: People):
    sex = pp.sex(0.5)
    age = pp.rng.randint(21, 45)
    head = pp.foreigner(sex, age, "本人")
    members = [head]
    if pp.rng.random() < 0.35:
        spouse = pp.foreigner(pp.other_sex(sex), clamp(age + pp.rng.randint(-4, 4), 20, 50), "配偶者")
        spouse.name = head.name.split(" ")[0] + " " + spouse.name.split(" ", 1)[1]
        spouse.kana = spouse.name
        members.append(spouse)
        mother_age = age if sex == "女" else spouse.age
        for a in pp.children_ages(mother_age, pp.rng.choice([0, 1, 2]), oldest_max=15):
            child = pp.foreigner(pp.sex(), a, "子")
            child.name = head.name.split(" ")[0] + " " + child.name.split(" ", 1)[1]
            child.kana = child.name
            members.append(child)
    return members, ["外国籍"]


def _mixed_marriage(pp: People):
    """A Japanese husband and a wife of foreign nationality (common in rural Japan)."""
    fam = pp.surname()
    age = pp.rng.randint(38, 66)
    head = pp.person(fam, "男", age, "本人")
    wife = pp.foreigner("女", clamp(age - pp.rng.randint(3, 15), 25, 60), "配偶者")
    members = [head, wife]
    for a in pp.children_ages(wife.age, pp.rng.choice([0, 1, 2]), oldest_max=20):
        members.append(pp.person(fam, pp.sex(), a, "子"))
    return members, []


def _lodger(pp: People):
    """A single elderly person with a live-in helper or acquaintance (同居人)."""
    head = pp.person(pp.surname(), pp.sex(0.6), pp.elderly_age(70, 95), "本人")
    other = pp.person(pp.surname(), pp.sex(0.5), pp.rng.randint(45, 75), "同居人")
    return [head, other], []


# (kind, weight, builder, small?) — weights tuned for about 2.57 persons per
# household and about 40% aged 65+ (DOMAIN: 生坂村 about 1,800 people, 41%).
KINDS: list[tuple[str, float, Callable, bool]] = [
    ("一人暮らし高齢者", 24.0, _single_elderly, True),
    ("高齢夫婦", 20.0, _elderly_couple, True),
    ("8050", 3.5, _eighty_fifty, True),
    ("高齢者と子", 11.0, _elderly_with_child, False),
    ("単身", 6.0, _single_adult, True),
    ("夫婦", 5.0, _couple, True),
    ("夫婦と子", 10.0, _family, False),
    ("三世代", 15.0, _three_generations, False),
    ("ひとり親", 2.5, _single_parent, False),
    ("外国籍", 1.5, _foreign, True),
    ("国際結婚", 1.5, _mixed_marriage, False),
    ("同居人あり", 1.0, _lodger, True),
]


# ---- plan steps ----------------------------------------------------------------


def plan_districts(plan: Plan, rng: random.Random) -> None:
    profile = plan.profile
    areas = rng.sample(N.AREAS, profile.areas)
    settlements = rng.sample(N.SETTLEMENTS, profile.districts)
    per_area = [profile.districts // profile.areas + (1 if i < profile.districts % profile.areas else 0)
                for i in range(profile.areas)]
    order = 0
    it = iter(settlements)
    for a, (name, kana) in enumerate(areas):
        area_key = f"a{a}"
        plan.districts.append(DistrictPlan(area_key, name, kana, None, order))
        order += 1
        for s in range(per_area[a]):
            sname, skana = next(it)
            plan.districts.append(DistrictPlan(f"{area_key}s{s}", sname, skana, area_key, order))
            order += 1


def plan_staff(plan: Plan, rng: random.Random) -> None:
    profile = plan.profile
    pp = People(rng, plan.today)
    used: set[str] = set()

    def staff_name(age_low: int, age_high: int) -> str:
        while True:
            p = pp.person(pp.surname(), pp.sex(0.6), rng.randint(age_low, age_high), "本人")
            if p.name not in used:
                used.add(p.name)
                return p.name

    plan.admin_name = staff_name(52, 63)
    leaves = plan.leaf_districts()
    for i in range(profile.coordinators):
        plan.staff.append(StaffPlan(f"coordinator{i + 1}", staff_name(30, 60), Role.COORDINATOR.value, "地域福祉係", []))
    # Staff share the settlements between them, each an unbroken run (one or two areas).
    for i in range(profile.staff):
        lo, hi = i * len(leaves) // profile.staff, (i + 1) * len(leaves) // profile.staff
        keys = [d.key for d in leaves[lo:hi]]
        section = "地域福祉係" if i % 3 != 2 else "生活支援"
        plan.staff.append(StaffPlan(f"staff{i + 1}", staff_name(24, 62), Role.STAFF.value, section, keys))
    for i in range(profile.reporters):
        section = ["介護保険事業所", "ボランティアセンター"][i % 2]
        plan.staff.append(StaffPlan(f"reporter{i + 1}", staff_name(25, 65), Role.REPORTER.value, section, []))


def plan_agencies(plan: Plan, rng: random.Random) -> None:
    m = plan.municipality
    for name, kana, fld, contact, services in N.AGENCIES:
        plan.agencies.append(AgencyPlan(name.format(m=m), kana, fld, contact, fake_phone(rng), services))


def _pick_kind(rng: random.Random, persons: int, households: int, target_persons: int, target_households: int):
    """Choose a kind by weight, steering towards the target size when the running total drifts."""
    expected = target_persons * households / target_households
    kinds = KINDS
    if persons - expected > 4:
        kinds = [k for k in KINDS if k[3]]
    elif expected - persons > 4:
        kinds = [k for k in KINDS if not k[3]]
    return rng.choices(kinds, weights=[k[1] for k in kinds])[0]


def plan_households(plan: Plan, rng: random.Random) -> None:
    profile = plan.profile
    pp = People(rng, plan.today)
    leaves = plan.leaf_districts()
    # Settlements differ in size: a few large ones near the centre, small ones up the valleys.
    sizes = [rng.uniform(0.4, 1.6) for _ in leaves]
    persons = 0
    for i in range(profile.households):
        kind, _, builder, _ = _pick_kind(rng, persons, i, profile.persons, profile.households)
        pp.new_household()
        members, flags = builder(pp)
        persons += len(members)
        district = rng.choices(leaves, weights=sizes)[0]
        plan.households.append(_household(plan, rng, kind, district, members, flags))
    _assign_people_to_duties(plan, rng)


def _household(plan: Plan, rng: random.Random, kind: str, district: DistrictPlan, members: list[PersonPlan],
               flags: list[str]) -> HouseholdPlan:
    head = members[0]
    for order, p in enumerate(members):
        _person_details(rng, p, kind)
    if all(p.age >= 65 for p in members) and len(members) >= 2 and "高齢者のみ" not in flags:
        flags.append("高齢者のみ")
    if len(members) == 1 and head.age >= 65 and "一人暮らし高齢者" not in flags:
        flags.append("一人暮らし高齢者")
    if "外国籍" in head.flags and "外国籍" not in flags:
        flags.append("外国籍")
    if any("障がい" in p.flags for p in members):
        flags.append("障がい")
    incomer = kind in ("外国籍", "単身", "夫婦", "夫婦と子", "ひとり親") and rng.random() < 0.2
    if incomer:
        flags.append("転入者")
    if kind in ("一人暮らし高齢者", "同居人あり") and rng.random() < 0.1:
        flags.append("身寄りなし")
    if (any(p.age >= 75 and {"要介護", "認知症"} & set(p.flags) for p in members)
            or ("一人暮らし高齢者" in flags and head.age >= 85)) and rng.random() < 0.7:
        flags.append("避難行動要支援者")

    if kind in ("外国籍",) or (incomer and rng.random() < 0.6):
        housing = rng.choice(["民間賃貸", "公営住宅", "集合住宅"])
    else:
        housing = rng.choices(["持ち家（一戸建て）", "公営住宅", "民間賃貸", "その他"], weights=[90, 5, 3, 2])[0]
    number = rng.randint(1, 3200)
    address = f"{N.PREFECTURE}{plan.municipality}大字{district.name}{number}番地"
    if housing in ("公営住宅", "集合住宅"):
        address += f" {plan.municipality}{district.name}団地{rng.randint(1, 4)}-{rng.randint(101, 305)}"
    if kind == "外国籍" or (rng.random() < 0.15 and head.age < 65):
        phone = fake_phone(rng, mobile=True)
    else:
        phone = fake_phone(rng) if rng.random() < 0.95 else ""

    level, interval = "なし", None
    concern = {"要介護", "要支援", "認知症", "ひきこもり"} & {f for p in members for f in p.flags}
    if "8050" in flags or "身寄りなし" in flags or ("一人暮らし高齢者" in flags and (concern or head.age >= 85)):
        level, interval = rng.choice([("高", 7), ("中", 14), ("中", 14)])
    elif "一人暮らし高齢者" in flags or "高齢者のみ" in flags and concern:
        level, interval = rng.choice([("低", 30), ("中", 14), ("低", 30), ("なし", None)])
    elif "ひとり親" in flags or ("外国籍" in flags and rng.random() < 0.5):
        level, interval = ("低", 60)

    notes = ""
    if rng.random() < 0.15 and head.age >= 60:
        notes = rng.choice(N.HOUSEHOLD_NOTES)
    return HouseholdPlan(kind, district.key, address, phone, housing, flags, members, watch_level=level,
                         watch_interval_days=interval, notes=notes)


def _person_details(rng: random.Random, p: PersonPlan, kind: str) -> None:
    """Flags and community roles consistent with the person's age."""
    age = p.age
    flags = p.flags
    if age >= 65:
        r = rng.random()
        care = 0.05 + max(0, age - 75) * 0.025
        if r < care:
            flags.append("要介護")
        elif r < care + 0.06 + max(0, age - 75) * 0.01:
            flags.append("要支援")
        if age >= 75 and rng.random() < 0.04 + (age - 75) * 0.01:
            flags.append("認知症")
    if 15 <= age <= 64 and "ひきこもり" not in flags and kind != "8050" and rng.random() < 0.01:
        flags.append("ひきこもり")
    if rng.random() < 0.03:
        flags.append("障がい")
    if age >= 20 and kind in ("8050", "ひとり親", "単身", "一人暮らし高齢者") and rng.random() < 0.04:
        flags.append("生活保護")

    frail = {"要介護", "認知症", "ひきこもり"} & set(flags)
    if age >= 65 and "要介護" not in flags and rng.random() < 0.3:
        p.roles.append("参加者")
    if 40 <= age <= 82 and not frail and rng.random() < 0.12:
        p.roles.append("ボランティア")
    if 58 <= age <= 84 and not frail and rng.random() < (0.05 if p.sex == "女" else 0.02):
        p.roles.append("サロン世話人")
    if 50 <= age <= 80 and not frail and rng.random() < 0.015:
        p.roles.append("連絡員")
    if age >= 75 and rng.random() < 0.12:
        p.wishes = rng.choice(N.PERSON_WISHES)


def _assign_people_to_duties(plan: Plan, rng: random.Random) -> None:
    """Staff in charge by district; one 民生委員 per settlement, chosen among its residents."""
    in_charge: dict[str, str] = {}
    for s in plan.staff:
        for key in s.districts:
            in_charge[key] = s.login
    coordinators = [s.login for s in plan.staff if s.role == Role.COORDINATOR.value]
    residents: dict[str, list[PersonPlan]] = {}
    for h in plan.households:
        for p in h.members:
            if 58 <= p.age <= 75 and not p.flags and not p.foreign:
                residents.setdefault(h.district, []).append(p)
    commissioners: dict[str, list[str]] = {}
    pp = People(rng, plan.today)
    for d in plan.leaf_districts():
        candidates = residents.get(d.key, [])
        count = 1 + sum(1 for h in plan.households if h.district == d.key) // 150
        chosen = rng.sample(candidates, min(count, len(candidates)))
        names = [p.name for p in chosen]
        while len(names) < count:
            names.append(pp.person(pp.surname(), pp.sex(0.6), rng.randint(60, 74), "本人").name)
        commissioners[d.key] = names
    for h in plan.households:
        h.welfare_commissioner = rng.choice(commissioners[h.district])
        h.staff_main = in_charge.get(h.district)
        if h.watch_level in ("中", "高") and coordinators:
            h.staff_sub = rng.choice(coordinators)


@dataclass(frozen=True)
class PlanStep:
    name: str
    run: Callable[[Plan, random.Random], None]


PLAN_STEPS: list[PlanStep] = [
    PlanStep("districts", plan_districts),
    PlanStep("staff", plan_staff),
    PlanStep("agencies", plan_agencies),
    PlanStep("households", plan_households),
]


# ---- write steps ---------------------------------------------------------------


@dataclass
class WriteContext:
    """What the write steps share: the admin store and the ids given to plan keys."""

    store: object  # shakyo_desk.store.store.Store
    plan: Plan
    kdf: dict | None
    passphrase: str
    district_ids: dict[str, str] = field(default_factory=dict)
    staff_ids: dict[str, str] = field(default_factory=dict)
    agency_ids: list[str] = field(default_factory=list)
    household_ids: list[str] = field(default_factory=list)
    household_by_index: dict[int, str] = field(default_factory=dict)  # plan index → id
    person_ids: dict[tuple[int, int], str] = field(default_factory=dict)  # (household index, member index) → id
    place_ids: list[str] = field(default_factory=list)
    contact_ids: list[str] = field(default_factory=list)
    sheet_ids: list[str] = field(default_factory=list)
    remark_ids: dict[tuple[int, int, int], str] = field(default_factory=dict)
    # The demo passphrase's key (keyfile.derive_kek), shared by every demo account and used again
    # by the unlocks after generation; None: write_accounts derives it
    derived: object = None


@dataclass(frozen=True)
class WriteStep:
    name: str
    label: str  # shown in the progress dialog
    units: Callable[[Plan], int]
    run: Callable[[WriteContext, Callable[[int], None]], None]  # calls tick(n) as units complete


def write_districts(ctx: WriteContext, tick: Callable[[int], None]) -> None:
    from shakyo_desk.store.models import District

    with ctx.store.write() as w, w.bulk():
        for d in ctx.plan.districts:
            ctx.district_ids[d.key] = w.insert(District, {
                "name": d.name, "kana": d.kana, "parent_id": ctx.district_ids.get(d.parent) if d.parent else None,
                "sort_order": d.sort_order,
            })
    tick(1)


def write_accounts(ctx: WriteContext, tick: Callable[[int], None]) -> None:
    from shakyo_desk.store.keyfile import derive_kek
    from shakyo_desk.store.services.accounts import add_account

    # Every demo account has the demo's passphrase (printed in the manual): one Argon2id
    # derivation with one salt for all of them instead of one each (issue 20).
    if ctx.derived is None:
        ctx.derived = derive_kek(ctx.passphrase, ctx.kdf)
    derived = ctx.derived
    for s in ctx.plan.staff:
        ids = [ctx.district_ids[k] for k in s.districts]
        ctx.staff_ids[s.login] = add_account(ctx.store, s.login, s.display_name, s.role, ctx.passphrase,
                                             section=s.section, district_ids=ids, kdf=ctx.kdf, derived=derived)
        tick(1)


def write_agencies(ctx: WriteContext, tick: Callable[[int], None]) -> None:
    from shakyo_desk.store.models import Agency

    with ctx.store.write() as w, w.bulk():
        for a in ctx.plan.agencies:
            ctx.agency_ids.append(w.insert(Agency, {
                "name": a.name, "kana": a.kana, "field": a.field, "contact": a.contact, "phone": a.phone,
                "services": a.services,
            }))
    tick(1)


def _actor_for(ctx: WriteContext, login: str | None):
    """Households of a settlement are entered by the staff member in charge of it."""
    from shakyo_desk.store.writer import Actor

    staff = next((s for s in ctx.plan.staff if s.login == login), None)
    if staff is None:
        return ctx.store
    actor = Actor(ctx.staff_ids[staff.login], staff.login, staff.display_name, Role(staff.role),
                  frozenset(ctx.district_ids[k] for k in staff.districts))
    return ctx.store.as_actor(actor)


def write_households(ctx: WriteContext, tick: Callable[[int], None]) -> None:
    from shakyo_desk.store.models import Household, Person
    from shakyo_desk.domain.ids import new_id
    from shakyo_desk.store.services.households import household_code

    by_district: dict[str, list[tuple[int, HouseholdPlan]]] = {}
    for index, h in enumerate(ctx.plan.households):
        by_district.setdefault(h.district, []).append((index, h))
    for d in ctx.plan.leaf_districts():
        batch = by_district.get(d.key, [])
        if not batch:
            tick(1)
            continue
        store = _actor_for(ctx, batch[0][1].staff_main)
        with store.write() as w, w.bulk():  # one transaction per settlement
            for index, h in batch:
                household_id = new_id()
                w.insert(Household, {
                    "code": household_code(household_id), "district_id": ctx.district_ids[h.district],
                    "address": h.address, "phone": h.phone, "housing_type": h.housing_type, "flags": list(h.flags),
                    "welfare_commissioner": h.welfare_commissioner,
                    "staff_main_id": ctx.staff_ids.get(h.staff_main) if h.staff_main else None,
                    "staff_sub_id": ctx.staff_ids.get(h.staff_sub) if h.staff_sub else None,
                    "watch_level": h.watch_level, "watch_interval_days": h.watch_interval_days, "notes": h.notes,
                }, entity_id=household_id)
                for order, p in enumerate(h.members):
                    ctx.person_ids[(index, order)] = w.insert(Person, {
                        "household_id": household_id, "name": p.name, "kana": p.kana, "sex": p.sex,
                        "birth_date": p.birth_date, "age_band": "" if p.birth_date else p.age_band,
                        "relation": p.relation, "flags": list(p.flags), "roles": list(p.roles),
                        "wishes": p.wishes, "notes": p.notes, "sort_order": order,
                    })
                ctx.household_ids.append(household_id)
                ctx.household_by_index[index] = household_id
        tick(1)


WRITE_STEPS: list[WriteStep] = [
    WriteStep("districts", "地区を作っています", lambda plan: 1, write_districts),
    WriteStep("accounts", "職員のアカウントを作っています", lambda plan: len(plan.staff), write_accounts),
    WriteStep("agencies", "関係機関を登録しています", lambda plan: 1, write_agencies),
    WriteStep("households", "世帯と世帯員を登録しています", lambda plan: len(plan.leaf_districts()), write_households),
]
