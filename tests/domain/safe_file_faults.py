"""Fault injection for the one safe file writer (shakyo_desk/domain/safe_file.py)."""

import os

from shakyo_desk.domain import safe_file


def refuse_partial(refuse):
    """An ``os.open`` that calls ``refuse`` instead for the safe writer's temporary
    (``.partial``) files, as a locked or full stick would, and opens everything else."""
    real_open = os.open

    def fake_open(path, flags, *args, **kwargs):
        if str(path).endswith(safe_file.PARTIAL_SUFFIX):
            return refuse(path, flags, *args, **kwargs)
        return real_open(path, flags, *args, **kwargs)

    return fake_open
