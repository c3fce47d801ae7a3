"""Cost and latency versus memory, as one self-contained SVG (no scripts, fonts or network).

Memory sizes are evenly spaced, as in Power Tuning's chart; cost per 1M requests uses the
left axis, warm latency the right one. Recommended sizes get a dashed line and their strategy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

from lambdaserve.tune.cost import SizeResult

WIDTH, HEIGHT = 760, 400
LEFT, RIGHT, TOP, BOTTOM = 80, 80, 50, 60
COST_COLOUR, LATENCY_COLOUR = "#1f77b4", "#d62728"


def _ticks(high: float, count: int = 5) -> list[float]:
    return [high * i / count for i in range(count + 1)]


def _fmt(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:,.0f}"


def render_svg(results: Sequence[SizeResult], picks: Mapping[str, int], *, title: str) -> str:
    """The chart as SVG text; ``picks`` maps a strategy to its recommended memory."""
    if not results:
        raise ValueError("nothing to plot")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(results) - 1) if len(results) > 1 else 0.0
    xs = [LEFT + (i * step if len(results) > 1 else plot_w / 2) for i in range(len(results))]
    max_cost = max(r.cost_per_million for r in results) * 1.1 or 1.0
    max_ms = max(r.warm_ms for r in results) * 1.1 or 1.0

    def y(value: float, high: float) -> float:
        return TOP + plot_h - value / high * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
           f'<title>{escape(title)}</title>',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{WIDTH / 2}" y="24" text-anchor="middle" font-size="15">{escape(title)}</text>']
    for tick in _ticks(max_cost):  # grid and left axis
        ty = y(tick, max_cost)
        out.append(f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{LEFT + plot_w}" y2="{ty:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" fill="{COST_COLOUR}">'
                   f'${_fmt(tick)}</text>')
    for tick in _ticks(max_ms):
        out.append(f'<text x="{LEFT + plot_w + 6}" y="{y(tick, max_ms) + 4:.1f}" '
                   f'fill="{LATENCY_COLOUR}">{_fmt(tick)} ms</text>')
    out.append(f'<text x="16" y="{TOP + plot_h / 2}" fill="{COST_COLOUR}" text-anchor="middle" '
               f'transform="rotate(-90 16 {TOP + plot_h / 2})">cost per 1M requests (USD)</text>')
    out.append(f'<text x="{WIDTH - 12}" y="{TOP + plot_h / 2}" fill="{LATENCY_COLOUR}" '
               f'text-anchor="middle" transform="rotate(90 {WIDTH - 12} {TOP + plot_h / 2})">'
               f'warm latency (ms, trimmed mean)</text>')
    out.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 14}" text-anchor="middle">memory (MB)</text>')
    by_memory = {r.memory_mb: x for r, x in zip(results, xs, strict=True)}
    labels: dict[int, list[str]] = {}
    for strategy, memory in picks.items():
        labels.setdefault(memory, []).append(strategy)
    for memory, names in labels.items():
        if memory in by_memory:
            px = by_memory[memory]
            out.append(f'<line x1="{px:.1f}" y1="{TOP}" x2="{px:.1f}" y2="{TOP + plot_h}" '
                       'stroke="#888" stroke-dasharray="4 3"/>')
            out.append(f'<text x="{px:.1f}" y="{TOP - 6}" text-anchor="middle" fill="#444">'
                       f'{escape(" / ".join(names))}</text>')
    for r, px in zip(results, xs, strict=True):
        out.append(f'<text x="{px:.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{r.memory_mb}</text>')
    for colour, values, high, name in ((COST_COLOUR, [r.cost_per_million for r in results], max_cost, "cost"),
                                       (LATENCY_COLOUR, [r.warm_ms for r in results], max_ms, "latency")):
        points = " ".join(f"{px:.1f},{y(v, high):.1f}" for px, v in zip(xs, values, strict=True))
        out.append(f'<polyline class="{name}" points="{points}" fill="none" stroke="{colour}" '
                   'stroke-width="2"/>')
        out += [f'<circle cx="{px:.1f}" cy="{y(v, high):.1f}" r="3.5" fill="{colour}"/>'
                for px, v in zip(xs, values, strict=True)]
    out.append("</svg>")
    return "\n".join(out) + "\n"
