"""Hybrid logical clock: orders changes across devices without trusting wall clocks."""

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Stamp:
    wall_ms: int
    counter: int

    def encode(self, device_id: str) -> str:
        # Fixed width so that text order equals stamp order; device id breaks ties.
        return f"{self.wall_ms:015d}.{self.counter:06d}.{device_id}"

    @staticmethod
    def decode(text: str) -> "Stamp":
        wall, counter, _ = text.split(".", 2)
        return Stamp(int(wall), int(counter))


def tick(last: Stamp, now_ms: int) -> Stamp:
    """Next stamp for a local event."""
    if now_ms > last.wall_ms:
        return Stamp(now_ms, 0)
    return Stamp(last.wall_ms, last.counter + 1)


def receive(last: Stamp, remote: Stamp, now_ms: int) -> Stamp:
    """Next stamp after seeing a remote stamp (used by sync)."""
    wall = max(last.wall_ms, remote.wall_ms, now_ms)
    if wall == last.wall_ms == remote.wall_ms:
        counter = max(last.counter, remote.counter) + 1
    elif wall == last.wall_ms:
        counter = last.counter + 1
    elif wall == remote.wall_ms:
        counter = remote.counter + 1
    else:
        counter = 0
    return Stamp(wall, counter)
