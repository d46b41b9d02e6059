"""docker/multiprocess_files.py against real prometheus_client files: totals exact across
many dead workers, files bounded, nothing counted twice or lost when something fails."""

import glob
import logging
import os
import random
import struct
import threading

import multiprocess_files
import pytest
from gunicorn_metrics import Exporter
from multiprocess_files import compact, prepare

from tests.docker.workers import Expected, merged, sums, totals, value, work


def test_prepare_makes_the_directory_and_empties_it_of_a_previous_runs_files(tmp_path):
    path = tmp_path / "a" / "metrics"
    prepare(str(path))
    assert path.is_dir() and (path.stat().st_mode & 0o777) == 0o700
    (path / "counter_1.db").write_bytes(b"x")
    (path / "histogram_archive.db").write_bytes(b"x")
    (path / "keep.txt").write_text("x")
    prepare(str(path))
    assert [p.name for p in path.iterdir()] == ["keep.txt"]


def test_compaction_keeps_every_total_exact_across_many_dead_workers_and_bounds_the_files(directory):
    rng = random.Random(204)
    expected = Expected()
    live = [90001, 90002]  # two workers that stay alive throughout
    for pid in live:
        work(pid, expected, rng)
    for pid in range(1000, 1100):  # a hundred workers that each served a while and died
        work(pid, expected, rng)
        before = merged(directory)
        compact(str(directory), pid)
        after = merged(directory)
        assert totals(after) == totals(before), f"folding pid {pid} changed a count"
        assert {k: v for k, v in after.items() if k[0].endswith("_sum")} == sums(before)

    samples = merged(directory)
    for (route, status), n in expected.requests.items():
        assert value(samples, "http_server_requests_total", method="GET", route=route, status=status) == n
    assert sum(expected.requests.values()) == sum(
        v for (name, _), v in samples.items() if name == "http_server_requests_total"
    )
    count = sum(v for (name, _), v in samples.items() if name == "http_server_request_duration_seconds_count")
    assert count == sum(expected.observations.values())
    seconds = sum(v for (name, _), v in samples.items() if name == "http_server_request_duration_seconds_sum")
    assert seconds == pytest.approx(expected.seconds)
    assert value(samples, "extra_events_total") == 2 * 102
    assert value(samples, "extra_max") == pytest.approx(expected.biggest)
    assert value(samples, "extra_sum") == pytest.approx(expected.total)
    assert value(samples, "extra_latest") == pytest.approx(expected.latest)
    assert value(samples, "extra_live") == len(live), "a livesum gauge counts live workers only"
    all_pids = {dict(labels)["pid"] for (name, labels) in samples if name == "extra_all"}
    assert all_pids == {str(pid) for pid in live}, "a dead worker's per-pid series is dropped"
    assert value(samples, "flask_service_build_info", version="1.0", revision="abc") == 1

    files = sorted(os.path.basename(f) for f in glob.glob(str(directory / "*.db")))
    archives = [f for f in files if f"_{multiprocess_files.ARCHIVE}." in f]
    assert sorted(archives) == [
        "counter_archive.db", "gauge_max_archive.db", "gauge_mostrecent_archive.db", "gauge_sum_archive.db",
        "histogram_archive.db",
    ]  # fmt: skip
    assert len(files) == len(archives) + 8 * len(live), files  # each live worker: counter, histogram, 6 gauge modes


def test_a_worker_that_recorded_nothing_leaves_nothing(directory):
    compact(str(directory), 4242)  # no files at all for that pid
    assert list(directory.iterdir()) == []


def test_a_file_of_an_unknown_type_is_kept_rather_than_lost(directory):
    (directory / "newtype_77.db").write_bytes(b"\0" * 8)
    compact(str(directory), 77)
    assert (directory / "newtype_77.db").exists()


def test_a_file_that_cannot_be_read_is_logged_and_left_in_place(directory, caplog):
    expected = Expected()
    work(5001, expected, random.Random(5))
    compact(str(directory), 5001)  # an archive to keep intact
    work(5002, expected, random.Random(6))
    archive = (directory / "counter_archive.db").read_bytes()
    # A worker killed mid-write: its counter file says it holds more than it does.
    (directory / "counter_5003.db").write_bytes(struct.pack("ii", 4096, 0) + struct.pack("i", 4000) + b"x" * 100)
    exporter = Exporter(str(directory))
    exporter.worker_exited(5003, log=logging.getLogger("test"))  # does not raise into gunicorn's loop
    assert exporter.restarts == 1
    assert "could not fold the files of worker 5003" in caplog.text
    assert (directory / "counter_archive.db").read_bytes() == archive
    assert (directory / "counter_5003.db").exists() and not list(directory.glob("*.tmp"))
    (directory / "counter_5003.db").unlink()  # (prometheus_client could not read it either)
    exporter.worker_exited(5002)
    samples = merged(directory)
    assert sum(v for (n, _), v in samples.items() if n == "http_server_requests_total") == sum(
        expected.requests.values()
    )


def test_a_fold_that_fails_while_writing_counts_nothing_twice(directory, monkeypatch, caplog):
    from prometheus_client.mmap_dict import MmapedDict

    expected = Expected()
    work(6001, expected, random.Random(7))
    compact(str(directory), 6001)
    work(6002, expected, random.Random(8))
    before = merged(directory)
    writes = []
    real_write = MmapedDict.write_value

    def full_after_three(self, key, value, timestamp):
        writes.append(key)
        if len(writes) > 3:
            raise OSError(28, "No space left on device")
        real_write(self, key, value, timestamp)

    monkeypatch.setattr(MmapedDict, "write_value", full_after_three)
    Exporter(str(directory)).worker_exited(6002, log=logging.getLogger("test"))
    monkeypatch.undo()
    assert "No space left on device" in caplog.text
    assert not list(directory.glob("*.tmp"))
    # Each file is folded whole or not at all: whatever got folded before the failure left its
    # file; whatever did not is still in its file. Every count is as it was.
    after = merged(directory)
    assert totals(after) == totals(before), "nothing counted twice, nothing lost"
    assert {k: v for k, v in after.items() if k[0].endswith("_sum")} == sums(before)


def test_a_scrape_during_compaction_sees_every_total_exactly_once(directory):
    """The lock: a scrape never sees a worker's values both in its files and in the archive."""
    rng = random.Random(443)
    expected = Expected()
    pids = list(range(2000, 2060))
    for pid in pids:
        work(pid, expected, rng)
    total = sum(expected.requests.values())
    exporter = Exporter(str(directory))
    seen = []
    done = threading.Event()

    def scrape():
        while not done.is_set():
            families = exporter.collect()
            seen.append(sum(s.value for f in families if f.name == "http_server_requests" for s in f.samples))

    scraper = threading.Thread(target=scrape)
    scraper.start()
    try:
        for pid in pids:
            exporter.worker_exited(pid)
    finally:
        done.set()
        scraper.join()
    assert seen and set(seen) == {total}
    assert exporter.restarts == len(pids)
