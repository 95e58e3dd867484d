"""Words and dates shown on the 同期 and 要確認 screens (no Qt, no store access).

Times from the store are naive UTC; people read them in local time and 和暦."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from shakyo_desk.domain.wareki import format_wareki, format_wareki_short
from shakyo_desk.i18n import tr


def local_datetime(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone()


def when_text(value: datetime | str | None, *, short: bool = True) -> str:
    """R7.11.23 14:05 (short) or 令和7年11月23日 14:05."""
    local = local_datetime(value)
    if local is None:
        return ""
    day = format_wareki_short(local.date()) if short else format_wareki(local.date())
    return f"{day} {local:%H:%M}"


def bundle_text(seq: int | None, at: datetime | str | None) -> str:
    """第14号・R7.11.23 14:05, or a dash when nothing has passed yet."""
    if seq is None:
        return tr("まだありません")
    when = when_text(at)
    return tr("第{seq}号・{when}", seq=seq, when=when) if when else tr("第{seq}号", seq=seq)


def scope_text(scope: Iterable[str]) -> str:
    names = [s for s in scope if s]
    return "、".join(names) if names else tr("全地区")


def unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen
