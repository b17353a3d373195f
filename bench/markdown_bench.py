"""How long rendering takes at the limits of ``core/markdown_limits.py`` (issue 16).

Run as ``python bench/markdown_bench.py``.  Renders a normal lesson of the full
``MAX_SOURCE_CHARS`` and the worst inputs we know of at the caps (each within every limit, as
a preview or a save may send them), and prints each time as a ratio to the normal lesson; then
the inputs the caps refuse, which are never rendered: only the check's own time is shown.
The cache of the renderer is cleared before each run, so every figure is a full conversion.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from oer_portal.core.markdown import _render
from oer_portal.core.markdown_limits import (
    MAX_HTML_TAGS,
    MAX_NESTING,
    MAX_SOURCE_CHARS,
    source_problem,
)

N = MAX_SOURCE_CHARS


def _fill(unit: str, tail: str = "") -> str:
    """``unit`` repeated to ``N`` characters (with ``tail`` at the end)."""
    return (unit * (N // len(unit) + 1))[:N - len(tail)] + tail


NORMAL = _fill("## Breuken\n\nEen pizza in **acht** punten: zie [de uitleg](https://example.org)"
               " en *oefen* mee.\n\n- een half\n- een kwart\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n")

#: Within every limit: each is at the length cap and at the nesting or tag cap.
AT_THE_CAPS: dict[str, str] = {
    "many * emphasis": _fill("*a"),
    "many ` code spans": _fill("`a"),
    "nested emphasis ***": _fill("***a"),
    "many & entities": _fill("&"),
    "many [ brackets": _fill("["),
    "> quotes at the cap": _fill("> " * MAX_NESTING + "x\n"),
    "lists at the cap": _fill("".join("    " * d + "- x\n" for d in range(MAX_NESTING))),
    "- - - at the cap": _fill("- " * MAX_NESTING + "x\n\n"),
    "unclosed <http:// at the cap": _fill("Tekst. ", "<http://" * MAX_HTML_TAGS),
    "<div> at the cap": _fill("Tekst. ", "<div>" * MAX_HTML_TAGS),
    "table pipes": _fill("|" * 1000 + "\n"),
}

#: Refused by the caps; before them each took this long (measured here, 2026-12):
REFUSED: dict[str, tuple[str, str]] = {
    "unclosed <http:// x 25,000": ("<http://" * (N // 8), "88 s"),
    "<div> x 40,000": ("<div>" * (N // 5), "6.7 s"),
    "> x 200,000": (">" * N, "1.7 s"),
    "lists 300 deep": ("".join("    " * d + "- x\n" for d in range(300)), "RecursionError"),
}


def _seconds(work: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        _render.cache_clear()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    assert source_problem(NORMAL) is None
    normal = _seconds(lambda: _render(NORMAL))
    print(f"normal lesson, {len(NORMAL):,} characters: {normal:.3f} s (ratio 1.00)")
    worst = 0.0
    for name, source in AT_THE_CAPS.items():
        assert source_problem(source) is None, name
        ratio = _seconds(lambda source=source: _render(source)) / normal
        worst = max(worst, ratio)
        print(f"{name:32s} {len(source):>8,} chars  ratio {ratio:5.2f}")
    print(f"worst ratio at the caps: {worst:.2f}")
    for name, (source, before) in REFUSED.items():
        problem = source_problem(source)
        check = _seconds(lambda source=source: source_problem(source)) / normal
        print(f"refused: {name:26s} ({problem}) check ratio {check:5.3f}; "
              f"rendered before: {before}")


if __name__ == "__main__":
    main()
