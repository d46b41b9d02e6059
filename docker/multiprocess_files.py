"""prometheus_client's multiprocess files, kept bounded: emptied before a run, and a dead worker's
folded into one archive per type.

The known trap of multiprocess mode (prometheus/client_python#204, #443): every worker writes
files named after its pid, nothing removes a dead worker's counters and histograms, and a
scrape reads every file, so with workers restarting (max_requests, timeouts, crashes) the
directory grows without end and scrapes slow down to seconds. Here the master folds a dead
worker's counter, histogram and summary files into one archive file per type (summing, key by
key) and deletes them; `live*` gauges of a dead pid are dropped (prometheus_client's own
mark_process_dead), other gauges folded by their mode (min, max, sum, mostrecent), and an `all`
gauge's per-pid series of a dead pid dropped. So the directory holds the live workers' files,
the master's and at most one archive per type, however many workers came and went.

Folding is safe where #204 found it was not: it runs in the master after gunicorn reaped the
worker and before it forks the next one (gunicorn 24+ runs child_exit in its main loop, not in a
signal handler), so no live process can own that pid's files; and it holds the lock the scrape
holds while it reads the files, so a scrape sees a worker's values either in its files or in
the archive, never in both or neither: totals never go down.

prometheus_client is imported only inside these functions, as in gunicorn_metrics.py: it
chooses its multiprocess mode when first imported, which must come after gunicorn.conf.py set
the variable, and with metrics off it is never imported at all.
"""

from __future__ import annotations

import contextlib
import glob
import os
from collections.abc import Callable
from pathlib import Path

# Where a dead worker's pid was in a file's name: counter_archive.db, gauge_max_archive.db.
ARCHIVE = "archive"

Value = tuple[float, float]  # (value, timestamp), as prometheus_client's files hold them
Fold = Callable[[Value, Value], Value]


def prepare(directory: str) -> None:
    """Create ``directory``, or empty it of what a previous run left: before the app is imported."""
    path = Path(directory)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for leftover in [*path.glob("*.db"), *path.glob("*.db.tmp")]:
        leftover.unlink()


def _add(old: Value, new: Value) -> Value:
    return old[0] + new[0], max(old[1], new[1])


def _min(old: Value, new: Value) -> Value:
    return new if new[0] < old[0] else old


def _max(old: Value, new: Value) -> Value:
    return new if new[0] > old[0] else old


def _latest(old: Value, new: Value) -> Value:
    return new if new[1] > old[1] else old


# How a dead process's value joins the archive's, by file type (a gauge's by its mode). A gauge
# mode that is not here (`all`, and the `live*` ones) is dropped with its process.
FOLDS: dict[str, Fold] = {
    "counter": _add,
    "histogram": _add,  # buckets are stored per bucket, not cumulated: they add up
    "summary": _add,
    "gauge_sum": _add,
    "gauge_min": _min,
    "gauge_max": _max,
    "gauge_mostrecent": _latest,
}


def _read(path: str) -> dict[str, Value]:
    from prometheus_client.mmap_dict import MmapedDict

    if not os.path.exists(path):
        return {}
    return {key: (value, timestamp) for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(path)}


def _fold(source: str, archive: str, fold: Fold) -> None:
    """``archive`` replaced by itself with ``source`` folded in: whole, or not at all."""
    from prometheus_client.mmap_dict import MmapedDict

    merged = _read(archive)
    for key, entry in _read(source).items():
        merged[key] = fold(merged[key], entry) if key in merged else entry
    staged = archive + ".tmp"  # not *.db: no scrape reads it
    try:
        target = MmapedDict(staged)
        try:
            for key, (value, timestamp) in merged.items():
                target.write_value(key, value, timestamp)
        finally:
            target.close()
        os.replace(staged, archive)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(staged)
        raise


def compact(directory: str, pid: int) -> None:
    """Fold dead process ``pid``'s files into the archive files and delete them.

    The caller holds the lock the scrape holds, and ``pid`` is dead and reaped.
    """
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, directory)  # the live* gauges
    suffix = f"_{pid}.db"
    for source in glob.glob(os.path.join(directory, f"*{suffix}")):
        kind = os.path.basename(source)[: -len(suffix)]  # counter, histogram, gauge_max, ...
        fold = FOLDS.get(kind)
        if fold is not None:
            _fold(source, os.path.join(directory, f"{kind}_{ARCHIVE}.db"), fold)
        elif not kind.startswith("gauge_"):
            continue  # a type this code does not know: kept, rather than lose its values
        os.remove(source)
