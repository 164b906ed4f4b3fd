"""A small line chart drawn as SVG on the server: no script, no library, no CDN."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

# Distinct, colour-blind-friendly strokes (Okabe-Ito), one per category.
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
WIDTH, HEIGHT = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 10, 12, 44
CHAR = 9  # about the width of one character at font-size 15, for the margins


def _nice_max(value: int) -> int:
    """A round top for the y axis (1, 2, 5 × 10ⁿ)."""
    if value <= 0:
        return 10
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _segments(values: Sequence[int | None]) -> list[list[tuple[int, int]]]:
    """Runs of (index, value) without a gap: a None (not reported) breaks the line."""
    runs: list[list[tuple[int, int]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((i, v))
    return [run for run in runs if run]


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | None]]],
    title: str,
    fmt_number=str,  # type: ignore[no-untyped-def]
    axis_label: str = "",
) -> Markup:
    """An accessible SVG: a title, one polyline per series, bucket labels and a legend.

    Used by the stock page (weeks) and the reports page (any period bucket); the numbers
    also stay in a table beside it.
    """
    top = _nice_max(max((v for _, values in series for v in values if v is not None), default=0))
    widest = max((len(label) for label in labels), default=0) * CHAR
    # Room for the y axis' numbers, and half a bucket label at each end: nothing is clipped.
    left = max(LEFT, len(fmt_number(top)) * CHAR + 12, widest // 2 + 4)
    right = max(RIGHT, widest // 2 + 4)
    plot_w, plot_h = WIDTH - left - right, HEIGHT - TOP - BOTTOM
    count = max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return left + plot_w * i / count

    def y(v: int) -> float:
        return TOP + plot_h * (1 - v / top)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 24 * ((len(series) + 1) // 2)}" '
        f'role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    for fraction in (0, 0.5, 1):
        value = round(top * fraction)
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#ccc" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="15" '
            f'fill="#333">{escape(fmt_number(value))}</text>'
        )
    fit = max(1, plot_w // (widest + CHAR) + 1) if widest else 8
    every = max(1, -(-len(labels) // fit))  # as many labels as fit side by side
    for i, label in enumerate(labels):
        if (len(labels) - 1 - i) % every == 0:  # always label the latest bucket
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
                f'font-size="15" fill="#333">{escape(label)}</text>'
            )
    if axis_label:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" '
            f'font-size="15" fill="#333">{escape(axis_label)}</text>'
        )
    for n, (label, values) in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        for run in _segments(values):
            points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)
            if len(run) == 1:  # a lone reported bucket: a dot, not an invisible line
                i, v = run[0]
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                    f"<title>{escape(label)}</title></circle>"
                )
                continue
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{points}">'
                f"<title>{escape(label)}</title></polyline>"
            )
        lx = 8 + (n % 2) * (WIDTH // 2)
        ly = HEIGHT + 16 + 24 * (n // 2)
        parts.append(
            f'<rect x="{lx}" y="{ly - 10}" width="14" height="14" fill="{colour}"/>'
            f'<text x="{lx + 20}" y="{ly + 2}" font-size="15" fill="#1a1a1a">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped
