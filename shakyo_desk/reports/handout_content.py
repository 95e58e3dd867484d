"""What a conference handout (会議資料) prints: plain frozen dataclasses, no database.

The content is ALREADY MINIMISED. The store-side builder decides what may be shown (case code
or initials, age bands, no address, phone or full birth date, nothing tax-derived, fields shown
in full only when chosen for the meeting); ``handout_pdf`` prints exactly what it is given.
Every string here is printed as is, so it should already read as natural Japanese.
"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Member:
    """A conference member on the cover's member list."""

    name: str  # 山田 太郎
    organisation: str  # 〇〇町地域包括支援センター


@dataclass(frozen=True)
class HouseholdRow:
    """One line of the household composition table (世帯構成)."""

    relation: str  # 本人 / 妻 / 長男 …
    name: str  # initials or a display name, as the builder chose: A・T
    age_band: str  # 80代
    sex: str = ""  # 男 / 女 / ""
    flags: tuple[str, ...] = ()  # 要介護2, 一人暮らし高齢者, ひきこもり …


@dataclass(frozen=True)
class TimelineEntry:
    """A contact, a concern sheet or a past conference, condensed to one line."""

    on: date
    kind: str  # 訪問 / 電話 / 把握シート / 会議 …
    text: str


@dataclass(frozen=True)
class Role:
    """Who does what (役割分担) as it stands before the meeting."""

    agency: str
    role: str


@dataclass(frozen=True)
class PlanAction:
    """One 役割 of a plan goal: who (kind and name, minimised) does what, by when."""

    who: str  # 関係機関：〇〇町地域包括支援センター / 住民の支え手 / 本人・家族（妻）
    what: str
    due_on: date | None = None


@dataclass(frozen=True)
class PlanGoal:
    """A goal of the plan in force at the meeting, with its last monitoring before it."""

    target: str  # 世帯全体, or the member as the handout names them: 本人（Y・I）
    text: str
    review_on: date | None = None  # the review date standing at the meeting
    actions: tuple[PlanAction, ...] = ()
    last_check: str = ""  # 令和8年1月10日　一部：2回行けた (or "" when never monitored)


@dataclass(frozen=True)
class Evaluation:
    """終結時の評価 of a case closed by the meeting date."""

    closed_on: date
    reason: str
    changes: str  # what changed for the household
    worked: str = ""  # what worked


@dataclass(frozen=True)
class AssessmentLine:
    """One participant's 課題 or 強み (全方位型アセスメント), minimised: who said it by role or
    organisation, about whom as the handout names members."""

    about: str  # 世帯全体 / 本人（Y・I）
    said_by: str  # 本人 / 〇〇町地域包括支援センター / 関係者
    text: str


@dataclass(frozen=True)
class CaseWork:
    """The 支援ケース behind a case of the meeting (issue 18): for a 重層的支援会議 the plan in force
    (方針, goals, who does what by when, the last monitoring per goal) and, for a case closed by
    the meeting date, its evaluation; for a 支援会議 the assessment's 課題 and 強み."""

    status: str  # 受付 / アセスメント / 支援中 / モニタリング / 終結 (at the meeting)
    opened_on: date
    plan_version: int = 0  # 0: no plan before the meeting
    plan_made_on: date | None = None
    policy: str = ""
    goals: tuple[PlanGoal, ...] = ()
    missing_resources: tuple[str, ...] = ()
    evaluation: Evaluation | None = None
    problems: tuple[AssessmentLine, ...] = ()
    strengths: tuple[AssessmentLine, ...] = ()


@dataclass(frozen=True)
class CaseSection:
    """One case discussed at the meeting."""

    label: str  # ケース1（A・T様世帯）or the case code
    composition: tuple[HouseholdRow, ...] = ()
    concerns: tuple[str, ...] = ()  # 課題・困りごと, one line each
    timeline: tuple[TimelineEntry, ...] = ()  # oldest first
    strengths: tuple[str, ...] = ()  # 強み, one line each
    wishes: str = ""  # 本人の意向, in the person's words where possible
    plan: str = ""  # 現在の支援方針・プラン
    roles: tuple[Role, ...] = ()
    question: str = ""  # what the meeting is asked to decide or advise
    # Label and value lines under the composition (世帯の状況; 住所 or 電話 only when chosen).
    facts: tuple[tuple[str, str], ...] = ()
    case_work: CaseWork | None = None  # the 支援ケース's plan, evaluation or assessment (issue 18)


@dataclass(frozen=True)
class HandoutContent:
    """Everything printed in one conference's handout; the same for every copy."""

    council_name: str  # 〇〇町社会福祉協議会
    meeting_type: str  # 支援会議 / 重層的支援会議 / ケース検討会 / 地域ケア会議
    legal_basis: str  # 社会福祉法第106条の6 … ("" when none)
    title: str  # 令和7年度 第3回 〇〇町支援会議
    held_on: date
    place: str = ""
    convenor: str = ""  # 主催・招集者
    agenda: tuple[str, ...] = ()
    members: tuple[Member, ...] = ()
    # The statutory notice (wording from settings) for a 支援会議; None prints no notice.
    confidentiality_notice: str | None = None
    cases: tuple[CaseSection, ...] = ()
    time_text: str = ""  # 14:00〜15:30, printed after the date when given


@dataclass(frozen=True)
class Copy:
    """One numbered copy and who receives it (配布番号 3／12　山田 太郎 様)."""

    copy_number: int
    recipient: str  # printed as given after the number; the builder adds 様 where it belongs
    # How many copies were made for the meeting ("／12"); None means as many as are rendered
    # now (set it when reprinting a single copy).
    total: int | None = None
