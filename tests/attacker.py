"""An attacker for protected tables: each hidden cell's range from what is visible (an LP)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from scipy.optimize import linprog

from tracker.exports.suppression import HIDDEN, Identity, marker


def ranges(
    shown: Mapping[Hashable, Any],
    identities: Sequence[Identity[Any]],
    threshold: int = 5,
    trust_marker: bool = True,
) -> dict[Hashable, tuple[float, float]]:
    """Smallest and largest value of each hidden cell, given the visible cells, the identities,
    `<5` in 1..threshold-1 (when the marker is trusted) and `:` >= 0; integers relaxed."""
    hidden = [k for k, v in shown.items() if v in (HIDDEN, marker(threshold))]
    index = {k: i for i, k in enumerate(hidden)}
    rows, rhs = [], []
    for identity in identities:
        row = [0.0] * len(hidden)
        constant = 0.0
        for key, sign in [(identity.total, -1.0), *[(p, 1.0) for p in identity.parts]]:
            if key in index:
                row[index[key]] += sign
            else:
                constant += sign * shown[key]
        if any(row):
            rows.append(row)
            rhs.append(-constant)
        else:
            assert constant == 0, f"the visible figures break {identity}"
    bounds = [
        (1, threshold - 1) if trust_marker and shown[k] == marker(threshold) else (0, None)
        for k in hidden
    ]
    result: dict[Hashable, tuple[float, float]] = {}
    for key, i in index.items():
        ends = []
        for sign in (1.0, -1.0):
            objective = [0.0] * len(hidden)
            objective[i] = sign
            solved = linprog(
                objective, A_eq=rows or None, b_eq=rhs or None, bounds=bounds, method="highs"
            )
            assert solved.status in (0, 3), solved.message  # 3: unbounded above
            ends.append(sign * solved.fun if solved.status == 0 else float("inf"))
        result[key] = (ends[0], ends[1])
    return result


def assert_protected(
    shown: Mapping[Hashable, Any],
    true: Mapping[Hashable, int],
    identities: Sequence[Identity[Any]],
    threshold: int = 5,
) -> None:
    """Visible cells are true; `<5` holds 1..4; no `<5` cell can be pinned to one value."""
    for key, value in shown.items():
        if value == marker(threshold):
            assert 0 < true[key] < threshold, (key, true[key])
        elif value == HIDDEN:
            assert true[key] > 0, key
        else:
            assert value == true[key], key
            assert not 0 < value < threshold, key
    for key, (low, high) in ranges(shown, identities, threshold).items():
        assert low <= true[key] + 1e-6, key
        assert true[key] <= high + 1e-6, key
        if shown[key] == marker(threshold):
            assert high - low >= 1 - 1e-6, (key, true[key], low, high)
