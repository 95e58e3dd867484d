"""Command groups of the command-line interface, one small module each.

A module provides ``register(subparsers)``: it adds its command (or command group)
and sets ``handler`` on each leaf parser to a function ``handler(ctx) -> int | None``.
Add a module name to ``COMMAND_MODULES`` to make a new command appear."""

from importlib import import_module

COMMAND_MODULES = [
    "setup",      # init, demo
    "check",
    "district",
    "household",
    "contact",
    "sheet",
    "watch",
    "account",    # account add, list, disable, enable
    "device",
    "sync",
    "conflicts",
    "consent",
    "meeting",
    "handout",
    "stats",
    "backup",     # backup, restore
    "retention",
    "audit",      # audit list, verify, export
    "list_import",  # import FILE --kind … (existing Excel/CSV lists)
    "case",       # case open, list, show, assess, monitor, close, reopen
    "plan",       # plan add
    "community_issue",  # community-issue list, add, status
    "tie",        # tie add, list, end (issue 19)
    "supporter",  # supporter add, list
    "activity",   # activity add, list
    "map",        # map --district NAME --out FILE.pdf (支え合いマップ)
]


def register_all(subparsers) -> None:
    for name in COMMAND_MODULES:
        import_module(f"{__name__}.{name}").register(subparsers)
