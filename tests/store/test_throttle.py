import pytest

from shakyo_desk.domain.errors import AuthError, UnlockThrottled
from shakyo_desk.store.store import unlock
from shakyo_desk.store.throttle import Throttle, delay_after

from .conftest import PASSPHRASE


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


def test_delays_grow_and_are_capped():
    delays = [delay_after(n) for n in range(0, 12)]
    assert delays[0] == 0
    assert all(b >= a for a, b in zip(delays, delays[1:]))
    assert delays[5] > delays[2] > delays[1]
    assert max(delays) <= 120


def test_unlock_waits_grow_after_wrong_passphrases(store):
    store.close()
    clock = Clock()
    root = store.layout.root
    waits = []
    for _ in range(4):
        with pytest.raises(AuthError):
            unlock(root, "admin", "wrong", clock=clock)
        waits.append(Throttle(store.layout.unlock_state, clock).wait_remaining("admin"))
        clock.now += 1000  # wait out the delay before the next try
    assert waits == sorted(waits) and waits[-1] > waits[0] > 0

    # Within the delay even the right passphrase is refused, and nothing is tried.
    with pytest.raises(AuthError):
        unlock(root, "admin", "wrong", clock=clock)
    with pytest.raises(UnlockThrottled) as err:
        unlock(root, "admin", PASSPHRASE, clock=clock)
    assert "秒待って" in err.value.message and err.value.seconds > 0

    clock.now += 1000
    unlock(root, "admin", PASSPHRASE, clock=clock).close()
    assert Throttle(store.layout.unlock_state, clock).failures("admin") == 0


def test_throttle_survives_restart(tmp_path):
    clock = Clock()
    Throttle(tmp_path / "state.json", clock).record_failure("a")
    Throttle(tmp_path / "state.json", clock).record_failure("a")
    assert Throttle(tmp_path / "state.json", clock).wait_remaining("a") == delay_after(2)
