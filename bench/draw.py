"""The benchmark's picture, drawn from its results file: requests/s and p99 at saturation, one bar
per run so that the noise shows, and p99 at each fixed rate, one dot per run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.report import OURS, RESULTS, TUTORIAL

PICTURE = RESULTS.with_suffix(".svg")
COLOURS = {OURS: "#2b6cb0", TUTORIAL: "#c05621"}


def draw(results: dict[str, Any], picture: Path = PICTURE) -> Path:
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "flask-service"  # the same results, the same file
    names = list(results["runs"])
    figure, (rps, p99, fixed) = plt.subplots(1, 3, figsize=(16, 4.5), gridspec_kw={"width_ratios": [3, 3, 2]})
    for axis, key, title in ((rps, "rps", "requests/s at saturation"), (p99, "p99_ms", "p99 ms at saturation")):
        x, ticks = 0.0, []
        for name in names:
            start = x
            for run in results["runs"][name]:
                axis.bar(x, run[key], width=0.8, color=COLOURS.get(name, "#a0aec0"))
                x += 1
            ticks.append(((start + x - 1) / 2, name.removeprefix("ours, ")))
            x += 1
        axis.set_xticks([t for t, _ in ticks], [n.replace(", ", ",\n") for _, n in ticks], fontsize=7, rotation=30)
        axis.set_title(title, fontsize=10)
        axis.grid(axis="y", alpha=0.3)
    for share, found in results.get("fixed_rate", {}).items():
        for offset, name in ((-0.08, OURS), (0.08, TUTORIAL)):
            values = [run["p99_ms"] for run in found["runs"].get(name, [])]
            fixed.scatter([float(share) + offset] * len(values), values, color=COLOURS[name], s=14, label=name)
    handles, labels = fixed.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=False))
    fixed.legend(unique.values(), unique.keys(), fontsize=8)
    fixed.set_xticks(
        [float(s) for s in results.get("fixed_rate", {})], [f"{float(s):.0%}" for s in results.get("fixed_rate", {})]
    )
    fixed.set_title("p99 ms at a fixed share of the tutorial's saturation", fontsize=10)
    fixed.set_ylim(bottom=0)
    fixed.grid(axis="y", alpha=0.3)
    figure.suptitle(f"{results['rounds']} alternated rounds, one bar per run; {results['method_short']}", fontsize=9)
    figure.tight_layout()
    figure.savefig(picture, metadata={"Date": None})
    plt.close(figure)
    return picture
