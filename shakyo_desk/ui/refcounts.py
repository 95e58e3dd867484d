"""PySide6 6.12 on CPython 3.11 gives back references to None, True and False that it never
took: every Qt call that returns nothing, every signal that carries a bool (a button's
``clicked``) costs one. Python 3.12 made these objects immortal; on 3.11 a long test run
ends with "Fatal Python error: none_dealloc" (or bool_dealloc) although every test passed.

In the app that is an abort ("Fatal Python error: none_dealloc") after some hundred page
switches, in the middle of someone's work. ``pin_singletons()`` gives the three objects more
references than any run can use up (2**40); the desktop app, the self-test's screen step and the
test suite call it before any Qt call. It does nothing on Python 3.12+ (immortal objects) and
can go once a PySide6 release fixes the bindings (checked by tests/ui/test_refcounts.py)."""

import sys


def pin_singletons() -> None:
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return  # immortal there
    import ctypes

    for obj in (None, True, False):  # idempotent enough: each call adds 2**40 to a 2**63 range
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40  # ob_refcnt is the first field
