"""A small line chart drawn as SVG on the server: no script, no library, no CDN."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

# Distinct, colour-blind-friendly strokes (Okabe-Ito), one per category.
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
WIDTH, HEIGHT = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 10, 12, 44


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


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    title: str,
    fmt_number=str,  # type: ignore[no-untyped-def]
    axis_label: str = "",
) -> Markup:
    """An accessible SVG: a title, one polyline per series, bucket labels and a legend.

    Used by the stock page (weeks) and the reports page (any period bucket); the numbers
    also stay in a table beside it.
    """
    top = _nice_max(max((max(values) for _, values in series), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return LEFT + plot_w * i / count

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
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#ccc" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="15" '
            f'fill="#333">{escape(fmt_number(value))}</text>'
        )
    every = max(1, -(-len(labels) // 8))  # at most about eight labels fit
    for i, label in enumerate(labels):
        if (len(labels) - 1 - i) % every == 0:  # always label the latest bucket
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
                f'font-size="15" fill="#333">{escape(label)}</text>'
            )
    if axis_label:
        parts.append(
            f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" '
            f'font-size="15" fill="#333">{escape(axis_label)}</text>'
        )
    for n, (label, values) in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
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
