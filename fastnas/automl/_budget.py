"""Wall-clock budgets: ``"30m"``, ``"90s"``, ``"1h30m"``, ``"2h"`` or a number of seconds."""
from __future__ import annotations

import re

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def parse_budget(budget) -> float:
    """Seconds in a budget.

    >>> parse_budget("30m"), parse_budget("1h30m"), parse_budget(45), parse_budget("90s")
    (1800.0, 5400.0, 45.0, 90.0)
    """
    if isinstance(budget, bool):
        raise TypeError("budget must be seconds or a string such as '30m', not bool")
    if isinstance(budget, (int, float)):
        seconds = float(budget)
    elif isinstance(budget, str):
        text = budget.strip().lower().replace(" ", "")
        parts = re.findall(r"(\d+(?:\.\d+)?)([smh]?)", text)
        if not text or "".join(n + u for n, u in parts) != text:
            raise ValueError(f"cannot read budget {budget!r}; use e.g. '30m', '90s', '1h30m' or seconds")
        seconds = sum(float(n) * _UNITS[u or "s"] for n, u in parts)
    else:
        raise TypeError(f"budget must be seconds or a string such as '30m', got {type(budget).__name__}")
    if not seconds > 0:
        raise ValueError(f"budget must be positive, got {budget!r}")
    return seconds
