"""The benchmark's results as tables: saturation (our image as shipped, the subjects that explain
it, the tutorial's), the prices of metrics and of access lines, latency at fixed rates, the other
figures, and the deploy timings the sessions printed last. Picture: bench/draw.py.

python -m bench.report bench/results.json      # the tables again, and redraws bench/results.svg
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

from tooling.core.settings import ROOT

RESULTS = Path(__file__).resolve().parent / "results.json"
FIGURES = ROOT / ".figures"  # where the deploy and cluster sessions leave what they printed
OURS, TUTORIAL = "ours, as shipped", "tutorial"
METRICS_OFF, ACCESS_ON, UNBATCHED = "ours, metrics off", "ours, access lines on", "ours, access lines unbatched"
# Our image with one thing changed each: what explains the difference with the tutorial's.
BREAKDOWN: list[tuple[str, dict[str, str], dict[str, str] | None]] = [
    (ACCESS_ON, {"GUNICORN_ACCESS_LOG": "json"}, None),
    (UNBATCHED, {"GUNICORN_ACCESS_LOG": "json", "GUNICORN_ACCESS_LOG_FLUSH": "0"}, None),
    (METRICS_OFF, {"METRICS_PORT": "0"}, None),
    ("ours, 4 workers", {"WEB_CONCURRENCY": "4"}, None),
    ("ours, -t 0", {"GUNICORN_TIMEOUT": "0"}, None),
    ("ours, check every 10 s", {}, {"interval": "10s"}),
]
TARGETS = {"rps": 0.97, "p99_fixed": 1.10, "metrics_rps": 0.03, "metrics_p99": 0.05}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def medians(runs: list[dict[str, Any]], key: str) -> float:
    return median([run[key] for run in runs if run.get(key) is not None])


def spread(values: list[float], digits: int = 0, unit: str = "") -> str:
    """The median and the range: "2700 (2550-2810)"."""
    if not values:
        return "-"
    return f"{median(values):.{digits}f}{unit} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def verdict(met: bool) -> str:
    return "met" if met else "**MISSED**"


def paired(results: dict[str, Any], subject: str, key: str) -> list[float]:
    """``subject``'s figure over ours as shipped, round by round (the rounds alternate both)."""
    return [a[key] / b[key] for a, b in zip(results["runs"][subject], results["runs"][OURS], strict=False) if b[key]]


def saturation(results: dict[str, Any]) -> list[str]:
    runs = results["runs"]
    base = runs[TUTORIAL]
    lines = [
        row("subject", "req/s (range)", "p50 ms", "p99 ms", "CPU/request", "vs the tutorial", "errors"),
        "|---|---|---|---|---|---|---|",
    ]
    for name, found in runs.items():
        rps, p99 = medians(found, "rps") / medians(base, "rps"), medians(found, "p99_ms") / medians(base, "p99_ms")
        ratio = f"{rps:.2f}x req/s, {p99:.2f}x p99"
        lines.append(
            row(
                name,
                spread([r["rps"] for r in found]),
                f"{medians(found, 'p50_ms'):.1f}",
                spread([r["p99_ms"] for r in found], 1),
                f"{medians(found, 'cpu_us'):.0f} µs",
                ratio if name != TUTORIAL else "1x",
                str(sum(r["errors"] for r in found)),
            )
        )
    shipped = medians(runs[OURS], "rps") / medians(base, "rps")
    lines.append(
        row(
            "target",
            f">= {TARGETS['rps']}x the tutorial's req/s, as shipped",
            "",
            "",
            "",
            f"{shipped:.2f}x",
            verdict(shipped >= TARGETS["rps"]),
        )
    )
    return lines


def prices(results: dict[str, Any]) -> list[str]:
    """What one thing costs, from the same alternated rounds: its req/s and p99 against as shipped."""
    lines = [row("what", "req/s, round by round (median, range)", "p99", "target", ""), "|---|---|---|---|---|"]
    for name, _, _ in BREAKDOWN:
        if name not in results["runs"]:
            continue
        rps, p99 = paired(results, name, "rps"), paired(results, name, "p99_ms")
        target, met = "", ""
        if name == METRICS_OFF:  # metrics on (shipped) may lose at most 3% req/s and 5% p99
            loss, rise = 1 - 1 / median(rps), 1 / median(p99) - 1
            target = f"metrics cost <= {TARGETS['metrics_rps']:.0%} req/s, <= {TARGETS['metrics_p99']:.0%} p99"
            met = verdict(loss <= TARGETS["metrics_rps"] and rise <= TARGETS["metrics_p99"])
        lines.append(row(f"{name} / as shipped", spread(rps, 3, "x"), spread(p99, 3, "x"), target, met))
    return lines


def fixed_rates(results: dict[str, Any]) -> list[str]:
    lines = [
        row("load", "ours p50 / p99 ms", "tutorial p50 / p99 ms", "p99, ours / tutorial", "generator CPU", ""),
        "|---|---|---|---|---|---|",
    ]
    for share, found in results.get("fixed_rate", {}).items():
        ours, base = found["runs"][OURS], found["runs"][TUTORIAL]
        ratio = medians(ours, "p99_ms") / medians(base, "p99_ms")
        cpu = median([r["cpu_share"] for r in ours + base])
        errors = sum(r["errors"] for r in ours + base)
        lines.append(
            row(
                f"{float(share):.0%} ({found['rate']:.0f}/s)",
                f"{medians(ours, 'p50_ms'):.1f} / {medians(ours, 'p99_ms'):.1f}",
                f"{medians(base, 'p50_ms'):.1f} / {medians(base, 'p99_ms'):.1f}",
                f"{ratio:.2f}x (<= {TARGETS['p99_fixed']}x: {verdict(ratio <= TARGETS['p99_fixed'] and not errors)})",
                f"{cpu:.0%} of a CPU",
                f"{errors} errors" if errors else "",
            )
        )
    return lines


def others(results: dict[str, Any]) -> list[str]:
    runs, build = results["runs"], results["build"]
    ours, base = runs[OURS], runs[TUTORIAL]
    codes = ["/".join(map(str, sorted({r["stop_code"] for r in which}))) for which in (ours, base)]
    rebuild = (median(build["ours"]["rebuild_s"]), median(build["tutorial"]["rebuild_s"]))
    added = (build["ours"]["added_mb"], build["tutorial"]["added_mb"])
    return [
        row("figure", "ours", "tutorial"),
        "|---|---|---|",
        row(
            "`docker run` to the first 200",
            f"{medians(ours, 'first_200_s'):.2f} s",
            f"{medians(base, 'first_200_s'):.2f} s",
        ),
        row(
            "memory, idle / after load",
            *(f"{medians(w, 'idle_mib'):.0f} / {medians(w, 'loaded_mib'):.0f} MiB" for w in (ours, base)),
        ),
        row(
            "`docker stop`",
            *(f"{medians(w, 'stop_s'):.2f} s, exit {c}" for w, c in ((ours, codes[0]), (base, codes[1]))),
        ),
        row("image, added over the base", f"{added[0]:.1f} MB", f"{added[1]:.1f} MB"),
        row("cold build", *(f"{median(build[n]['cold_s']):.1f} s" for n in ("ours", "tutorial"))),
        row("rebuild after a one-line code change", f"{rebuild[0]:.2f} s", f"{rebuild[1]:.2f} s"),
        row("`inv --list`", f"{results['other']['inv_list_s']:.2f} s", ""),
    ]


def table(results: dict[str, Any]) -> str:
    parts = [
        f"Saturation: {results['method']}; {results['rounds']} alternated rounds, medians (range).",
        *saturation(results),
        "",
        "What each thing costs, from the same rounds:",
        *prices(results),
        "",
        "Latency at fixed rates (bench/rate.py, open loop, from when each request was due), medians of pairs:",
        *fixed_rates(results),
        "",
        *others(results),
    ]
    deploys = results.get("deploys") or {}
    for session, lines in deploys.items():
        parts += ["", f"Deploy timings, as `nox -s {session}` printed them last:", *(f"- {line}" for line in lines)]
    return "\n".join(parts)


def session_figures() -> dict[str, list[str]]:
    """What the deploy and cluster sessions printed last (tests/conftest.py's `report` keeps it)."""
    found = {}
    for session in ("deploy", "cluster"):
        path = FIGURES / f"{session}.txt"
        if path.is_file():
            found[session] = [line for line in path.read_text().splitlines() if line.strip()]
    return found


def main(argv: list[str] | None = None) -> int:
    from bench.draw import draw

    path = Path((argv or sys.argv[1:] or [str(RESULTS)])[0])
    results = json.loads(path.read_text())
    print(table(results))
    print(f"drew {draw(results, path.with_suffix('.svg'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
