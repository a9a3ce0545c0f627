"""Targets the benchmarks are held to, written into each result as ``checks``.

Each check records what was measured, the target and whether it was met, so the
Benchmarks page can show every target with its verdict instead of leaving the reader to
compare numbers across a table. (Importable by the scripts in benchmarks/ because Python
puts a script's own folder on sys.path.)
"""

from __future__ import annotations

import operator

OPERATORS = {">=": operator.ge, "<=": operator.le, "==": operator.eq}


def check(measure: str, value, op: str, target, note: str = "") -> dict:
    """One target: ``check("speed-up", 7.7, ">=", 8)`` -> ``{..., "met": False}``."""
    if op not in OPERATORS:
        raise ValueError(f"op must be one of {sorted(OPERATORS)}, got {op!r}")
    return {"measure": measure, "value": value, "target": f"{op} {target}",
            "met": bool(OPERATORS[op](value, target)), "note": note}
