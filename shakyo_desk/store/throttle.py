"""Growing delays after wrong passphrases, remembered across restarts.

The state file holds only counts and times, nothing personal. It slows down
guessing at the keyboard; the key file itself is protected by Argon2id.
"""

import json
import time
from collections.abc import Callable
from pathlib import Path

from shakyo_desk.domain.errors import UnlockThrottled
from shakyo_desk.domain.safe_file import write_atomic

MAX_DELAY_S = 120.0


def delay_after(failures: int) -> float:
    """Seconds to wait after this many consecutive failures: 0, 1, 2, 4, 8 … 120."""
    if failures <= 0:
        return 0.0
    return min(MAX_DELAY_S, float(2 ** (failures - 1)))


class Throttle:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time):
        self.path = Path(path)
        self.clock = clock

    def _load(self) -> dict:
        try:
            data = json.loads(self.path.read_text("utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _save(self, data: dict) -> None:
        try:
            write_atomic(self.path, json.dumps(data).encode("utf-8"))
        except OSError:
            pass  # a read-only store can still be unlocked; only the delay is lost

    def failures(self, login: str) -> int:
        return int(self._load().get(login, {}).get("failures", 0))

    def wait_remaining(self, login: str) -> float:
        entry = self._load().get(login)
        if not entry:
            return 0.0
        ready_at = entry.get("last", 0.0) + delay_after(int(entry.get("failures", 0)))
        return max(0.0, ready_at - self.clock())

    def check(self, login: str) -> None:
        remaining = self.wait_remaining(login)
        if remaining > 0:
            seconds = int(remaining + 0.999)
            raise UnlockThrottled(
                f"パスフレーズの誤りが続いたため、あと{seconds}秒待ってからもう一度入力してください。", remaining
            )

    def record_failure(self, login: str) -> None:
        data = self._load()
        entry = data.get(login, {})
        data[login] = {"failures": int(entry.get("failures", 0)) + 1, "last": self.clock()}
        self._save(data)

    def record_success(self, login: str) -> None:
        data = self._load()
        if data.pop(login, None) is not None:
            self._save(data)
