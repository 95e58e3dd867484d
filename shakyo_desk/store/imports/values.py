"""Turning cells into the values the register keeps, or into a sentence saying what is wrong.

Each reader takes the raw cell (text, number, Excel date) and returns the value, or raises
``CellProblem`` with one Japanese sentence. ``warn`` receives remarks that do not stop the row.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta

import jaconv

from shakyo_desk.domain.dates import DateTextError, parse_date_text
from shakyo_desk.domain.people import age_on
from shakyo_desk.domain.text import fold
from shakyo_desk.domain.vocab import HOUSEHOLD_FLAGS, RELATIONS
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.i18n import tr
from shakyo_desk.store.imports.fields import FLAG_HEADERS, fold_header
from shakyo_desk.store.imports.reader import cell_text

Warn = Callable[[str], None]

OLDEST_AGE = 115
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 (Excel's 1900 leap-year bug absorbed)

# Cells that say "nothing here" in a phone column.
NO_VALUE = {"なし", "無し", "無", "ナシ", "不明", "-", "ー", "―", "－", "—", "×", "x", "なし。", "未", "未確認"}
HEAD_MARKS = {"○", "◯", "〇", "●", "◎", "✓", "✔", "レ", "v", "1", "はい", "yes", "y", "true", "世帯主", "本人", "主"}

SEX_WORDS = {
    "男": "男", "男性": "男", "おとこ": "男", "m": "男", "male": "男", "1": "男",
    "女": "女", "女性": "女", "おんな": "女", "f": "女", "female": "女", "2": "女",
    "その他": "その他", "不明": "不明", "": "不明",
}

RELATION_WORDS = {
    "本人": "本人", "世帯主": "本人", "主": "本人",
    "妻": "配偶者", "夫": "配偶者", "配偶者": "配偶者", "つま": "配偶者", "おっと": "配偶者",
    "子": "子", "長男": "子", "次男": "子", "二男": "子", "三男": "子", "長女": "子", "次女": "子", "二女": "子",
    "三女": "子", "息子": "子", "娘": "子", "男": "子", "女": "子", "子ども": "子", "子供": "子",
    "嫁": "子の配偶者", "婿": "子の配偶者", "子の妻": "子の配偶者", "子の夫": "子の配偶者", "子の配偶者": "子の配偶者",
    "孫": "孫", "曾孫": "孫", "ひ孫": "孫",
    "父": "親", "母": "親", "親": "親", "義父": "親", "義母": "親", "父親": "親", "母親": "親",
    "兄": "兄弟姉妹", "弟": "兄弟姉妹", "姉": "兄弟姉妹", "妹": "兄弟姉妹", "兄弟": "兄弟姉妹", "姉妹": "兄弟姉妹",
    "兄弟姉妹": "兄弟姉妹",
    "祖父": "その他の親族", "祖母": "その他の親族", "おじ": "その他の親族", "おば": "その他の親族",
    "叔父": "その他の親族", "叔母": "その他の親族", "伯父": "その他の親族", "伯母": "その他の親族",
    "甥": "その他の親族", "姪": "その他の親族", "親族": "その他の親族", "その他の親族": "その他の親族",
    "同居人": "同居人", "同居者": "同居人", "縁故者": "同居人", "知人": "同居人",
}

FLAG_WORDS = {
    "一人暮らし": "一人暮らし高齢者", "ひとり暮らし": "一人暮らし高齢者", "独居": "一人暮らし高齢者",
    "独居高齢者": "一人暮らし高齢者", "高齢者世帯": "高齢者のみ", "高齢者のみ世帯": "高齢者のみ",
    "高齢夫婦": "高齢者のみ", "母子": "ひとり親", "父子": "ひとり親", "母子世帯": "ひとり親", "父子世帯": "ひとり親",
    "ひとり親世帯": "ひとり親", "避難行動要支援": "避難行動要支援者", "要支援者": "避難行動要支援者",
}

_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−－"})


class CellProblem(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def text(value) -> str:
    """Free text: trimmed, runs of spaces (full-width too) made one, NFC."""
    return unicodedata.normalize("NFC", re.sub(r"[ \u3000\t]+", " ", cell_text(value))).strip()


def name(value) -> str:
    """A person's name: 「山田　花子」 → 「山田 花子」. The characters themselves are kept as
    written (NFC keeps 髙 and 﨑)."""
    return text(value).replace("\n", " ")


def kana(value, warn: Warn) -> str:
    """フリガナ: half-width and hiragana become full-width katakana, spaces one half-width."""
    raw = text(value)
    if not raw:
        return ""
    value = unicodedata.normalize("NFKC", raw)
    value = jaconv.hira2kata(value)
    value = re.sub(r"\s+", " ", value).strip()
    if re.search(r"[^\u30a0-\u30ff\u31f0-\u31ff ・=＝ー]", value):
        warn(tr("フリガナ「{v}」にカタカナ以外の文字があります（そのまま登録します）。", v=raw))
    return value


def address(value) -> str:
    """Full-width digits, letters and dashes to half-width; 「１ー２」 → 「1-2」; ー in words stays."""
    value = text(value)
    value = "".join(unicodedata.normalize("NFKC", ch) if "\uff01" <= ch <= "\uff5e" else ch for ch in value)
    value = value.translate(_DASHES)
    return re.sub(r"(?<=\d)[ーｰ](?=\d)", "-", value)


def phone(value) -> str:
    """A phone number with half-width digits and hyphens; 「なし」 is empty. A number cell that
    lost its leading zero (Excel) gets it back."""
    if isinstance(value, bool):
        raise CellProblem(tr("「{v}」は電話番号ではありません。数字とハイフンで書いてください（例：0267-12-3456）。", v=cell_text(value)))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise CellProblem(tr("「{v}」は電話番号ではありません。数字とハイフンで書いてください（例：0267-12-3456）。", v=cell_text(value)))
        digits = str(int(value))
        if len(digits) in (9, 10) and not digits.startswith("0"):
            digits = "0" + digits
        value = digits
    raw = text(value)
    if not raw or raw in NO_VALUE:
        return ""
    normal = unicodedata.normalize("NFKC", raw).translate(_DASHES)
    if not re.search(r"\d", normal) and re.search(r"なし|無し|無|不明|ない", normal):
        return ""  # 「電話なし」「携帯なし」
    normal = re.sub(r"(?<=\d)[ーｰ](?=\d)", "-", normal)
    normal = re.sub(r"\s*-\s*", "-", normal).strip()
    if not re.fullmatch(r"[0-9()\-+ ]+", normal):
        raise CellProblem(tr("「{v}」は電話番号ではありません。数字とハイフンだけで書いてください（例：0267-12-3456）。",
                             v=raw))
    digits = re.sub(r"\D", "", normal)
    if normal.startswith("+"):
        ok = 9 <= len(digits) <= 13
    elif digits.startswith("0"):
        ok = len(digits) in (10, 11)
    else:
        ok = 5 <= len(digits) <= 8  # a local number without the area code, as villages write it
    if not ok:
        raise CellProblem(tr("電話番号「{v}」は桁数が合いません（市外局番からなら10桁、携帯電話は11桁です）。番号を確かめてください。", v=raw))
    if len(normal) > 50:
        raise CellProblem(tr("電話番号「{v}」が長すぎます。1つの欄には1つの番号を書いてください。", v=raw))
    return normal


def excel_serial(number: float) -> date:
    return EXCEL_EPOCH + timedelta(days=int(number))


def a_date(value, *, today: date) -> date | None:
    """A date cell: an Excel date, an Excel serial number, 19400310, or text in 西暦 or 和暦."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise CellProblem(tr("「{v}」は日付ではありません。", v=cell_text(value)))
    if isinstance(value, int | float):
        number = float(value)
        if 19000101 <= number <= 29991231 and number.is_integer():
            value = str(int(number))  # 19400310 typed as a number
        elif 1 <= number < 2958466:
            return excel_serial(number)
        else:
            raise CellProblem(tr("「{v}」は日付ではありません。", v=cell_text(value)))
    try:
        return parse_date_text(str(value), today=today)
    except DateTextError as error:
        raise CellProblem(error.message) from None


def birth_date(value, *, today: date) -> date | None:
    born = a_date(value, today=today)
    if born is None:
        return None
    if born > today:
        raise CellProblem(tr("生年月日の{d}は、今日より後の日付です。日付を確かめてください。", d=_ymd(born)))
    if age_on(born, today) > OLDEST_AGE:
        raise CellProblem(tr("生年月日が{d}だと{age}歳になります。年号や年を確かめてください。",
                             d=_ymd(born), age=age_on(born, today)))
    return born


def _ymd(d: date) -> str:
    """令和7年4月1日（2025年）: the era a date was read in, and its year in 西暦 to check against."""
    return f"{format_wareki(d)}（{d.year}年）"


def age_band(value) -> str:
    """年齢 → 80代 (what the register keeps when the birth date is unknown)."""
    raw = text(value)
    if not raw:
        return ""
    normal = unicodedata.normalize("NFKC", raw)
    m = re.fullmatch(r"(\d{1,3})(?:\.0)?\s*(?:歳|才)?", normal)
    if not m:
        m2 = re.fullmatch(r"(\d{1,2})0\s*(?:歳)?代", normal)
        if m2:
            return f"{m2[1]}0代" if int(m2[1]) >= 1 else "10歳未満"
        raise CellProblem(tr("年齢「{v}」が読み取れません。数字で書いてください（例：85）。", v=raw))
    age = int(m[1])
    if age > OLDEST_AGE:
        raise CellProblem(tr("年齢「{v}」は大きすぎます。数字を確かめてください。", v=raw))
    if age < 10:
        return "10歳未満"
    return f"{min(age // 10 * 10, 100)}代"


def sex(value) -> str:
    raw = text(value)
    key = unicodedata.normalize("NFKC", raw).casefold().strip()
    if key in SEX_WORDS:
        return SEX_WORDS[key]
    raise CellProblem(tr("性別「{v}」が読み取れません。「男」「女」のどちらかで書いてください。", v=raw))


def relation(value) -> str:
    raw = text(value)
    key = unicodedata.normalize("NFKC", raw).replace(" ", "")
    if not key:
        return ""
    if key in RELATION_WORDS:
        return RELATION_WORDS[key]
    if key in RELATIONS:
        return key
    raise CellProblem(tr("続柄「{v}」が読み取れません。{choices}のいずれかで書いてください。", v=raw,
                         choices="・".join(RELATIONS)))


def head(value) -> tuple[str, str]:
    """A 世帯主 cell: ("mark", "") for ○ and the like, ("relation", 本人/配偶者 …) for a
    relation word, ("name", the head's name) otherwise; ("", "") when empty."""
    raw = text(value)
    if not raw:
        return "", ""
    key = unicodedata.normalize("NFKC", raw).casefold().replace(" ", "")
    if key in HEAD_MARKS or raw in HEAD_MARKS:
        return "mark", ""
    if key in RELATION_WORDS:
        return "relation", RELATION_WORDS[key]
    return "name", name(raw)


def household_flags(value) -> list[str]:
    raw = text(value)
    if not raw:
        return []
    result = []
    for part in re.split(r"[、,，・/／;；\s]+", unicodedata.normalize("NFKC", raw)):
        if not part:
            continue
        known = next((f for f in HOUSEHOLD_FLAGS if fold(f) == fold(part)), None) or FLAG_WORDS.get(part)
        if known is None:
            raise CellProblem(tr("世帯の特徴「{v}」は登録できる特徴にありません。{choices}のいずれかで書いてください。",
                                 v=part, choices="・".join(HOUSEHOLD_FLAGS)))
        if known not in result:
            result.append(known)
    return result


# A cell of a ○ column (one column per flag): these say "yes" …
MARK_YES = {"○", "◯", "〇", "●", "◎", "✓", "✔", "☑", "レ", "v", "1", "はい", "yes", "y", "true", "有", "有り", "あり",
            "該当", "対象", "該当あり"}
# … and these "no" (an empty cell too).
MARK_NO = {"×", "✕", "✗", "☓", "x", "0", "いいえ", "no", "n", "false", "なし", "無し", "無", "ない", "非該当", "該当なし",
           "対象外", "-", "ー", "―", "－", "—", "空"}


def flag_mark(value, flag: str) -> list[str]:
    """A cell of the ○ column for ``flag``: [flag] for a mark, [] for none. A cell naming a flag
    (「要介護3」 under 要介護, 「要支援1」 in a 要介護度 column) sets the flag it names. Anything else
    is a ``CellProblem`` saying how to mark the column."""
    if value is None or isinstance(value, bool):
        return [flag] if value else []
    if isinstance(value, int | float):
        if value in (0, 1):
            return [flag] if value == 1 else []
        raise CellProblem(_mark_problem(cell_text(value), flag))
    raw = text(value)
    key = jaconv.kata2hira(unicodedata.normalize("NFKC", raw).casefold().replace(" ", "").rstrip("。."))
    if key in MARK_NO or raw in MARK_NO or not key:
        return []
    if key in MARK_YES or raw in MARK_YES:
        return [flag]
    folded = fold_header(raw)
    # the column's own flag first (「身体障害」 under 障がい), then any other flag the cell names
    for name in (flag, *FLAG_HEADERS):
        if any(fold_header(w) in folded for w in (name, *FLAG_HEADERS.get(name, ()))):
            return [name]
    raise CellProblem(_mark_problem(raw, flag))


def _mark_problem(raw: str, flag: str) -> str:
    return tr("「{v}」は「{flag}」の列の印として読めません。該当するときは「○」、しないときは空欄か「×」にしてください。",
              v=raw, flag=flag)


def limited(value: str, label: str, limit: int) -> str:
    if len(value) > limit:
        raise CellProblem(tr("{label}が長すぎます（{limit}文字まで、今は{n}文字）。短くしてください。", label=label, limit=limit, n=len(value)))
    return value
