"""Ages and age bands: handouts and lists show 80代 rather than a birth date."""

from datetime import date


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def age_band(birth: date | None, on: date, fallback: str | None = None) -> str:
    """80代 from a birth date; the recorded band when only that is known."""
    if birth is None:
        return fallback or "不明"
    age = age_on(birth, on)
    if age < 10:
        return "10歳未満"
    return f"{age // 10 * 10}代"


AGE_BANDS = ["10歳未満"] + [f"{n}代" for n in range(10, 110, 10)] + ["不明"]


def initials(kana: str) -> str:
    """Y・T from ヤマダ タロウ: what a handout prints instead of a name (DESIGN §6).
    Empty when no reading is recorded (the caller then prints the relation only)."""
    import jaconv

    letters = []
    for part in (kana or "").replace("\u3000", " ").split():
        romaji = jaconv.kana2alphabet(jaconv.kata2hira(part[:2]))
        if romaji and romaji[0].isascii() and romaji[0].isalpha():
            letters.append(romaji[0].upper())
    return "・".join(letters)
