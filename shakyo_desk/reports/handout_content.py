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
