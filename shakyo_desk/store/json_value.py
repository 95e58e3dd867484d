"""How a column value is written into the change log's JSON (dates as ISO text, sets as
sorted lists). A leaf module: the Writer, the sync apply step and check all encode values
the same way, and none of them has to import another for it."""

from datetime import date, datetime
from typing import Any


def to_json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value)
    return value
