"""Authorised authors (issue 15): a received change is checked against what its author could
do, from the synced history. Placeholder: every change is accepted (being built)."""

from __future__ import annotations

from sqlalchemy.engine import Connection


class Authors:
    def __init__(self, conn: Connection, roster: dict, sender: str):
        self.conn, self.roster, self.sender = conn, roster, sender

    def refusal(self, change: dict) -> str | None:
        return None
