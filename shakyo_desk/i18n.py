"""The one translation function for every word a person reads.

Source strings are Japanese (the primary language). An English catalogue can
be added later by filling ``_CATALOGUES``; nothing else has to change.
"""

_CATALOGUES: dict[str, dict[str, str]] = {"ja": {}}
_language = "ja"


def set_language(code: str) -> None:
    global _language
    _language = code if code in _CATALOGUES else "ja"


def tr(text: str, **values: object) -> str:
    """Translate ``text`` and fill ``{name}`` placeholders."""
    translated = _CATALOGUES.get(_language, {}).get(text, text)
    return translated.format(**values) if values else translated
