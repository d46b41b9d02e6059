"""The benchmark's results: the table for the README, and a picture drawn from the results file.

python -m bench.report bench/results.json      # redraws bench/results.svg
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"
PICTURE = RESULTS.with_suffix(".svg")
# Within run-to-run noise (about 7% here): "at parity" allows this much on each side.
RPS_SLACK = 0.02
P99_SLACK = 0.05
TARGET = ">= 0.97x req/s and p99 <= 1.1x; access log off: >= 1x, p99 <= 1x"
# Not a target: the same work as the tutorial's image, health check included, less the check.
NO_CHECK = "ours, log off, no health check"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def medians(runs: list[dict[str, Any]], key: str) -> float:
    return median([run[key] for run in runs if run.get(key) is not None])


def row(label: str, *cells: str) -> str:
    return "| " + " | ".join([label, *cells]) + " |"


def verdict(met: bool | None) -> str:
    return "" if met is None else ("met" if met else "**MISSED**")


def table(results: dict[str, Any]) -> str:
    """The README's table: every figure, ours beside the tutorial's, with the targets checked."""
    runs = results["runs"]
    ours, quiet, bare, base = runs["ours"], runs["ours, access log off"], runs.get(NO_CHECK, []), runs["tutorial"]
    build = results["build"]

    def each(key: str, unit: str, digits: int) -> list[str]:
        return [f"{medians(which, key):.{digits}f}{unit}" for which in (ours, quiet, bare, base)]

    def against_tutorial(which: list[dict[str, Any]], rps_floor: float, p99_ceiling: float) -> tuple[str, bool]:
        rps = medians(which, "rps") / medians(base, "rps")
        p99 = medians(which, "p99_ms") / medians(base, "p99_ms")
        return f"{rps:.2f}x req/s, {p99:.2f}x p99", rps >= rps_floor - RPS_SLACK and p99 <= p99_ceiling + P99_SLACK

    ours_ratio, ours_met = against_tutorial(ours, 0.97, 1.10)
    quiet_ratio, quiet_met = against_tutorial(quiet, 1.00, 1.00)
    bare_ratio = against_tutorial(bare, 1.00, 1.00)[0] if bare else ""
    errors = [sum(run["errors"] for run in which) for which in (ours, quiet, bare, base)]
    first = (medians(ours, "first_200_s"), medians(base, "first_200_s"))
    stops = (medians(ours, "stop_s"), medians(base, "stop_s"))
    codes = tuple("/".join(map(str, sorted({r["stop_code"] for r in which}))) for which in (ours, base))
    added = (build["ours"]["added_mb"], build["tutorial"]["added_mb"])
    sizes = (build["ours"]["size_mb"], build["tutorial"]["size_mb"])
    rebuild = (median(build["ours"]["rebuild_s"]), median(build["tutorial"]["rebuild_s"]))
    cold = (median(build["ours"]["cold_s"]), median(build["tutorial"]["cold_s"]))
    idle = (medians(ours, "idle_mib"), medians(base, "idle_mib"))
    loaded = (medians(ours, "loaded_mib"), medians(base, "loaded_mib"))
    inv_list = results["other"]["inv_list_s"]
    return "\n".join(
        [
            row("figure", "ours", "ours, access log off", NO_CHECK, "tutorial", "target", ""),
            "|---|---|---|---|---|---|---|",
            row("requests/s on `/test`", *each("rps", "", 0), "", ""),
            row("p50 latency", *each("p50_ms", " ms", 1), "", ""),
            row("p99 latency", *each("p99_ms", " ms", 1), "", ""),
            row("CPU per request (in the container)", *each("cpu_us", " µs", 0), "", ""),
            row(
                "against the tutorial",
                ours_ratio,
                quiet_ratio,
                bare_ratio,
                "1x",
                TARGET,
                verdict(ours_met and quiet_met),
            ),
            row("failed requests under load", *map(str, errors), "0", verdict(not any(errors))),
            row(
                "`docker run` to the first 200",
                f"{first[0]:.2f} s",
                "",
                "",
                f"{first[1]:.2f} s",
                "<= the tutorial's",
                verdict(first[0] <= first[1] * 1.05),
            ),
            row(
                "memory, idle / after load",
                f"{idle[0]:.0f} / {loaded[0]:.0f} MiB",
                "",
                "",
                f"{idle[1]:.0f} / {loaded[1]:.0f} MiB",
                "",
                "",
            ),
            row(
                "`docker stop`",
                f"{stops[0]:.2f} s, exit {codes[0]}",
                "",
                "",
                f"{stops[1]:.2f} s, exit {codes[1]}",
                ">= 10x faster, exit 0",
                verdict(stops[1] / stops[0] >= 10 and codes[0] == "0"),
            ),
            row(
                "image (added over the base)",
                f"{sizes[0]:.0f} MB ({added[0]:.1f} MB)",
                "",
                "",
                f"{sizes[1]:.0f} MB ({added[1]:.1f} MB)",
                "<= 5% of the tutorial's, <= 20 MB",
                verdict(added[0] <= min(20, 0.05 * added[1])),
            ),
            row("cold build", f"{cold[0]:.1f} s", "", "", f"{cold[1]:.1f} s", "", ""),
            row(
                "rebuild after a one-line code change",
                f"{rebuild[0]:.2f} s",
                "",
                "",
                f"{rebuild[1]:.2f} s",
                ">= 3x faster",
                verdict(rebuild[1] / rebuild[0] >= 3),
            ),
            row("`inv --list`", f"{inv_list:.2f} s", "", "", "", "< 0.3 s", verdict(inv_list < 0.3)),
        ]
    )


def draw(results: dict[str, Any], picture: Path = PICTURE) -> Path:
    """Requests/s, p50 and p99 of each run, a bar per run so that the noise shows."""
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "flask-service"  # the same results, the same file
    names = list(results["runs"])
    colours = {"ours": "#2b6cb0", "ours, access log off": "#63b3ed", NO_CHECK: "#a0aec0", "tutorial": "#c05621"}
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    for axis, keys, title in (
        (left, ["rps"], "requests/s (higher is better)"),
        (right, ["p50_ms", "p99_ms"], "latency, ms: p50 (solid) and p99 (light)"),
    ):
        x = 0.0
        ticks = []
        for name in names:
            runs = results["runs"][name]
            start = x
            for run in runs:
                for k, key in enumerate(keys):
                    axis.bar(
                        x,
                        run[key],
                        width=0.8,
                        color=colours.get(name, "grey"),
                        alpha=1.0 if k == 0 else 0.35,
                        zorder=2 - k,
                    )
                x += 1
            ticks.append(((start + x - 1) / 2, name))
            x += 1
        axis.set_xticks([t for t, _ in ticks], [n.replace(", ", ",\n") for _, n in ticks], fontsize=9)
        axis.set_title(title, fontsize=10)
        axis.grid(axis="y", alpha=0.3)
    if len(keys) == 2:
        right.set_ylim(bottom=0)
    figure.suptitle(f"{results['rounds']} alternated rounds, one bar per run; {results['method_short']}", fontsize=9)
    figure.tight_layout()
    figure.savefig(picture, metadata={"Date": None})
    plt.close(figure)
    return picture


def main(argv: list[str] | None = None) -> int:
    path = Path((argv or sys.argv[1:] or [str(RESULTS)])[0])
    results = json.loads(path.read_text())
    print(table(results))
    print(f"drew {draw(results, path.with_suffix('.svg'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
