"""Service functions: the only code that changes recorded data.

Each takes an unlocked ``Store`` first, checks the acting account's role,
validates input (raising a Japanese ``UserError`` that changes nothing) and
returns plain values, never ORM objects."""
