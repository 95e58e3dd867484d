"""Text normalisation for search: kana and width insensitive."""

import re
import unicodedata

import jaconv

_IGNORED = re.compile(r"[\s\-‐‑‒–—―−ｰ・･,，、。()（）]+")


def fold(text: str | None) -> str:
    """Fold text so that ヤマダ, やまだ, ﾔﾏﾀﾞ and ＹＡＭＡＤＡ/yamada compare equal.

    NFKC unifies full/half width; katakana become hiragana; case is folded;
    spaces and separators (as in phone numbers and addresses) are dropped.
    The long-vowel mark ー is kept: it is part of a name's reading.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = jaconv.kata2hira(text)
    text = _IGNORED.sub("", text.casefold())
    # Casefolding and dropping separators can leave combining marks to compose.
    return _IGNORED.sub("", unicodedata.normalize("NFKC", text))


def search_terms(query: str) -> list[str]:
    """Split a query on whitespace; every term must match somewhere."""
    terms = [fold(part) for part in unicodedata.normalize("NFKC", query or "").split()]
    return [t for t in terms if t]


def clean(text: str | None) -> str:
    """Trim and NFC-normalise free text entered by a person."""
    return unicodedata.normalize("NFC", (text or "").strip())
