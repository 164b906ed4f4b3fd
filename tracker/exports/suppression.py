"""Small-number suppression of person-level figures in workbooks for external use."""

from __future__ import annotations

from collections.abc import Sequence


def marker(threshold: int) -> str:
    return f"<{threshold}"


def suppress(values: Sequence[int], threshold: int) -> list[int | str]:
    """Hide 1..threshold-1, and one more figure when only one is hidden (no back-calculation).

    A group's figures usually sit beside a total, so a single hidden figure could be worked out
    by subtraction; hiding the next smallest non-zero figure too prevents that. Zeros stay.
    """
    hidden = {i for i, v in enumerate(values) if 0 < v < threshold}
    if len(hidden) == 1:
        others = [(v, i) for i, v in enumerate(values) if v > 0 and i not in hidden]
        if others:
            hidden.add(min(others)[1])
    return [marker(threshold) if i in hidden else v for i, v in enumerate(values)]
