"""What each kind of list can fill, and guessing which column is which from its header.

A guess looks at a column's own header (the lower of two header rows), then at the merged
cell above it, and takes the first field whose words appear in it. The order of the fields
below is the order of those checks: 「フリガナ」 before 「氏名」 (so 「氏名ふりがな」 is the reading),
「世帯番号」 and 「世帯主」 before 「氏名」, 「携帯」 before 「電話」, 「サロン名」 before 「氏名」. Each
field takes one column; a later column with the same words stays 「取り込まない」 until a
person chooses otherwise.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.text import fold
from shakyo_desk.i18n import tr

HOUSEHOLDS, SALON_REGULARS, AGENCIES = "households", "salon-regulars", "agencies"
KINDS = (HOUSEHOLDS, SALON_REGULARS, AGENCIES)
KIND_LABELS = {
    HOUSEHOLDS: "世帯と世帯員",
    SALON_REGULARS: "サロンの常連",
    AGENCIES: "関係機関",
}
# Words that mean "do not import this column" in --map.
SKIP_WORDS = ("-", "none", "skip", "なし", "取り込まない", "無視")


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    words: tuple[str, ...] = ()    # the header contains one of these (folded)
    exact: tuple[str, ...] = ()    # or is exactly one of these (short, ambiguous words)
    required: bool = False
    note: str = ""                 # one line on what the column may hold
    unless: tuple[str, ...] = ()   # but not when it contains one of these
    names: tuple[str, ...] = ()    # other names --map accepts for it

    @property
    def flag(self) -> str | None:
        """The flag a ○ column sets (``flag:一人暮らし高齢者``), or None."""
        return self.key[len(FLAG_PREFIX):] if self.key.startswith(FLAG_PREFIX) else None


def _f(key, label, words=(), exact=(), required=False, note=""):
    return FieldSpec(key, label, tuple(words), tuple(exact), required, note)


# A column per flag, marked ○/✓/1/はい (or ×/空/0/いいえ): the flag, then the words its header
# may use (NFKC-normalised and folded as every header). Household flags first, then the
# person's; 障がい and 外国籍 are both (the person's, and the household's through them). Checked
# before the other fields, so 「要介護区分」 is not taken for 世帯の特徴; 避難行動要支援者 before 要支援.
FLAG_PREFIX = "flag:"
FLAG_HEADERS: dict[str, tuple[str, ...]] = {
    "一人暮らし高齢者": ("一人暮らし", "ひとり暮らし", "独り暮らし", "1人暮らし", "独居", "単身高齢", "ひとりぐらし"),
    "高齢者のみ": ("高齢者のみ", "高齢者世帯", "高齢世帯", "高齢夫婦", "高齢者二人", "老老", "老々"),
    "ひとり親": ("ひとり親", "一人親", "母子", "父子"),
    "8050": ("8050",),
    "避難行動要支援者": ("避難行動要支援", "避難行動要援護", "災害時要援護", "災害時要支援", "要援護者"),
    "身寄りなし": ("身寄りなし", "身寄り無", "身寄りがない", "身寄りのない"),
    "転入者": ("転入",),
    "要介護": ("要介護", "介護認定"),
    "要支援": ("要支援",),
    "障がい": ("障がい", "障害", "障碍"),
    "認知症": ("認知症",),
    "ひきこもり": ("ひきこもり", "引きこもり", "引き籠", "引籠"),
    "生活保護": ("生活保護", "生保", "保護受給"),
    "外国籍": ("外国籍", "外国人"),
}
# A header naming the flags column of words (世帯の特徴) is not a ○ column.
_FLAG_UNLESS = ("世帯の特徴", "世帯区分", "世帯類型", "世帯状況", "特徴", "名簿")


def _flag_spec(flag: str, words: tuple[str, ...]) -> FieldSpec:
    return FieldSpec(FLAG_PREFIX + flag, f"{flag}（○の列）", words, (), False, "○・✓・1・はい なら該当、空欄・×・0・いいえ なら該当なし",
                     _FLAG_UNLESS, (flag,))


FLAG_FIELDS = tuple(_flag_spec(flag, words) for flag, words in FLAG_HEADERS.items())


FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    HOUSEHOLDS: FLAG_FIELDS + (
        _f("household_key", "世帯番号", ["世帯番号", "世帯no", "世帯コード", "世帯id", "世帯記号"],
           note="同じ番号の行を1つの世帯にまとめます"),
        _f("kana", "フリガナ", ["フリガナ", "ふりがな", "カナ", "よみ", "読み", "kana"]),
        _f("birth_date", "生年月日", ["生年月日", "誕生日", "生まれ", "birth"], note="西暦・和暦・Excelの日付"),
        _f("age", "年齢", ["年齢"], exact=["歳", "年令"], note="生年月日がないときに年代（80代など）として"),
        _f("mobile", "携帯電話", ["携帯", "けいたい", "mobile"]),
        _f("phone", "電話番号", ["電話", "tel", "連絡先", "でんわ", "phone"]),
        _f("relation", "続柄", ["続柄", "続き柄"]),
        _f("head", "世帯主", ["世帯主"], note="○印、または世帯主の氏名"),
        _f("welfare_commissioner", "民生委員", ["民生委員", "民生", "担当委員"]),
        _f("district", "地区", ["地区", "行政区", "地域", "自治会", "集落", "町内会", "区名"], exact=["区"]),
        _f("household_flags", "世帯の特徴", ["世帯の特徴", "世帯区分", "世帯類型", "世帯状況", "区分"]),
        _f("address", "住所", ["住所", "所在地", "居所", "address"]),
        _f("sex", "性別", ["性別", "男女"], exact=["性"]),
        _f("notes", "備考", ["備考", "メモ", "特記", "摘要", "コメント"]),
        _f("name", "氏名", ["氏名", "名前", "お名前", "利用者名", "対象者", "姓名", "name"], exact=["名"], required=True),
    ),
    SALON_REGULARS: (
        _f("salon", "サロン名", ["サロン", "居場所", "通いの場", "会場名", "会名", "教室"], required=True,
           note="列がなければ、取り込むサロンを選びます"),
        _f("kana", "フリガナ", ["フリガナ", "ふりがな", "カナ", "よみ", "読み", "kana"]),
        _f("birth_date", "生年月日", ["生年月日", "誕生日", "生まれ"], note="同姓同名の方を見分けるため"),
        _f("address", "住所", ["住所", "所在地"], note="同姓同名の方を見分けるため"),
        _f("name", "氏名", ["氏名", "名前", "お名前", "参加者", "利用者名", "姓名", "name"], exact=["名"], required=True),
    ),
    AGENCIES: (
        _f("kana", "ふりがな", ["フリガナ", "ふりがな", "カナ", "よみ", "読み"]),
        _f("phone", "電話番号", ["電話", "tel", "phone"]),
        _f("services", "できること", ["できること", "支援内容", "事業内容", "サービス", "内容", "業務"]),
        _f("contact", "担当・連絡先", ["連絡先", "担当", "窓口", "メール", "mail"]),
        _f("field", "分野", ["分野", "種別", "領域", "種類", "カテゴリ"]),
        _f("name", "機関名", ["機関名", "名称", "事業所名", "団体名", "機関", "事業所", "名前", "氏名"], exact=["名"],
           required=True),
    ),
}


def kind_label(kind: str) -> str:
    return tr(KIND_LABELS[kind])


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput(tr("取り込む名簿の種類は次のいずれかを指定してください：{kinds}",
                              kinds="、".join(f"{k}（{v}）" for k, v in KIND_LABELS.items())))
    return kind


def fields_of(kind: str) -> tuple[FieldSpec, ...]:
    return FIELDS[check_kind(kind)]


def is_flag_field(key: str | None) -> bool:
    return bool(key) and key.startswith(FLAG_PREFIX)


def field_label(kind: str, key: str | None) -> str:
    if key is None:
        return tr("取り込まない")
    return tr(next(f.label for f in FIELDS[kind] if f.key == key))


def fold_header(text: str) -> str:
    """A header as compared: width and kana folded, case folded, spaces, marks and 「※」 dropped."""
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"[※＊*:：]", "", text)
    return fold(text)


def all_header_words() -> tuple[str, ...]:
    """Folded words of every kind: what makes a row look like a header."""
    words = set()
    for specs in FIELDS.values():
        for spec in specs:
            words.update(fold_header(w) for w in spec.words)
    words.discard("")
    return tuple(sorted(words))


def _matches(spec: FieldSpec, text: str) -> bool:
    if not text or any(fold_header(w) in text for w in spec.unless):
        return False
    if text in (fold_header(w) for w in spec.exact):
        return True
    return any(fold_header(w) in text for w in spec.words)


def guess_field(kind: str, header: str, group: str = "") -> str | None:
    """The field a header most likely means, or ``None``."""
    for text in (fold_header(header), fold_header(group)):
        for spec in FIELDS[kind]:
            if _matches(spec, text):
                return spec.key
    return None


def guess_mapping(columns, kind: str) -> dict[int, str | None]:
    """Column index → field key (or ``None``: not imported). Each field at most once."""
    check_kind(kind)
    mapping: dict[int, str | None] = {}
    taken: set[str] = set()
    for column in columns:
        key = guess_field(kind, column.header, column.group)
        if key in taken:
            key = None
        mapping[column.index] = key
        if key:
            taken.add(key)
    # A one-line-per-household list may call its only name column 「世帯主氏名」.
    if kind == HOUSEHOLDS and "name" not in taken:
        for column in columns:
            if mapping.get(column.index) == "head" and any(w in fold_header(column.header) for w in ("氏名", "名前")):
                mapping[column.index] = "name"
                break
    return mapping


def field_by_word(kind: str, word: str) -> str | None:
    """A field named as in --map: its key (name, kana …) or its Japanese label (氏名 …);
    ``None`` for 「取り込まない」. ``InvalidInput`` for anything else."""
    text = (word or "").strip()
    if text.casefold() in SKIP_WORDS or text in SKIP_WORDS:
        return None
    for spec in FIELDS[kind]:
        if (text == spec.key or text == spec.label or fold_header(text) == fold_header(spec.label)
                or any(fold_header(text) == fold_header(name) for name in spec.names)):
            return spec.key
    raise InvalidInput(tr("「{word}」は{kind}の項目にありません。指定できる項目：{fields}、または「-」（取り込まない）",
                          word=text, kind=kind_label(kind),
                          fields="、".join(f"{s.key}（{s.label}）" for s in FIELDS[kind])))


def column_by_word(columns, word: str):
    """A column named as in --map: its header as shown (「連絡先・電話」), its own header
    (「電話」) or its letter (「C」)."""
    text = (word or "").strip()
    for test in (lambda c: c.label == text, lambda c: c.header == text,
                 lambda c: fold_header(c.label) == fold_header(text) or fold_header(c.header) == fold_header(text),
                 lambda c: c.letter == text.upper() and text.isascii() and text.isalpha()):
        found = [c for c in columns if test(c)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise InvalidInput(tr("「{word}」という列が{n}つあります。列の記号（{letters}）で指定してください。",
                                  word=text, n=len(found), letters="、".join(c.letter for c in found)))
    raise InvalidInput(tr("「{word}」という列はありません。ある列：{columns}", word=text,
                          columns="、".join(f"{c.letter}（{c.label}）" for c in columns)))


def apply_map_options(columns, kind: str, mapping: dict[int, str | None], items: list[str]) -> dict[int, str | None]:
    """``--map 列名=field`` items over a guessed mapping. A field given to a column is taken
    from whichever column had guessed it."""
    result = dict(mapping)
    given: dict[str, str] = {}
    for item in items or []:
        column_word, sep, field_word = item.rpartition("=")
        if not sep or not column_word.strip():
            raise InvalidInput(tr("--map「{item}」は「列名=項目」の形にしてください（例：--map 電話番号=phone）。", item=item))
        column = column_by_word(columns, column_word)
        key = field_by_word(kind, field_word)
        if key is not None:
            if key in given and given[key] != column.letter:
                raise InvalidInput(tr("項目「{label}」に2つの列（{a}と{b}）が指定されています。1つにしてください。",
                                      label=field_label(kind, key), a=given[key], b=column.letter))
            given[key] = column.letter
            for index, current in result.items():
                if current == key:
                    result[index] = None
        result[column.index] = key
    return result
