"""docker/monitor/: what Prometheus scrapes and how often, and how the stack runs it (unpublished,
its storage on a tmpfs). No engine needed; whether Prometheus itself accepts the file is for its
promtool to say, in the built image:
    docker run --rm --entrypoint promtool IMAGE check config /etc/prometheus/prometheus.yml"""

import re

import pytest
from invoke.util import yaml

from tooling.core.settings import ROOT, STACK_FILE
from tooling.models import analysis

MONITOR = ROOT / "docker" / "monitor"


def config():
    return yaml.safe_load((MONITOR / "prometheus.yml").read_text())


def job(name):
    (found,) = [j for j in config()["scrape_configs"] if j["job_name"] == name]
    return found


def stack_service(name):
    return yaml.safe_load(STACK_FILE.read_text())["services"][name]


def instruction(keyword):
    """The arguments of the monitor Dockerfile's last ``keyword`` instruction, continuation lines joined."""
    text = (MONITOR / "Dockerfile").read_text().replace("\\\n", " ")
    found = re.findall(rf"^{keyword}\s+(.*)$", text, re.MULTILINE)
    assert found, keyword
    return found[-1].strip()


def flags():
    """The flags the image starts Prometheus with (its exec-form CMD), as a name -> value map."""
    cmd = yaml.safe_load(instruction("CMD"))  # a JSON array is YAML too
    return dict(arg.removeprefix("--").split("=", 1) for arg in cmd)


def whole(pattern, text):
    """The match of ``pattern`` against all of ``text``; the test fails when there is none."""
    match = re.fullmatch(pattern, text)
    assert match, f"{text!r} is not {pattern}"
    return match


def seconds(duration):
    value, unit = whole(r"(\d+)(ms|s|m|h)", duration).groups()
    return int(value) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]


def test_every_target_is_scraped_every_five_seconds_and_given_up_before_the_next():
    settings = config()["global"]
    assert seconds(settings["scrape_interval"]) == 5
    assert seconds(settings["scrape_timeout"]) < 5
    assert all("scrape_interval" not in j for j in config()["scrape_configs"]), "no job scrapes at its own pace"


@pytest.mark.parametrize(
    ("name", "dns_name", "port"), [("web", "tasks.web", analysis.METRICS_PORT), ("edge", "tasks.edge", 9113)]
)
def test_replicas_are_found_through_swarms_dns(name, dns_name, port):
    (discovery,) = job(name)["dns_sd_configs"]
    assert discovery["names"] == [dns_name]
    # Swarm's DNS answers A records only; the default (SRV) would find nothing.
    assert discovery["type"] == "A"
    assert discovery["port"] == port
    assert seconds(discovery["refresh_interval"]) <= seconds(config()["global"]["scrape_interval"])


@pytest.mark.parametrize("name", ["web", "edge"])
def test_a_targets_instance_is_the_address_it_was_scraped_at(name):
    scraped = job(name)
    assert scraped["honor_labels"] is False, "a label the target sends never replaces ours"
    assert {"source_labels": ["__address__"], "target_label": "instance"} in scraped["relabel_configs"]


def test_prometheus_scrapes_itself_on_the_port_it_listens_on():
    (targets,) = job("prometheus")["static_configs"]
    assert targets["targets"] == ["127.0.0.1" + flags()["web.listen-address"]]


def test_the_default_base_is_a_pinned_prometheus_3_release():
    (default,) = re.findall(r"^ARG PROMETHEUS_IMAGE=(\S+)$", (MONITOR / "Dockerfile").read_text(), re.MULTILINE)
    whole(r"prom/prometheus:v3\.\d+\.\d+", default)


def test_the_image_reads_the_config_it_copies_and_runs_as_nobody_in_particular():
    source, target = instruction("COPY").split()
    assert source == "prometheus.yml" and flags()["config.file"] == target
    assert instruction("USER").split(":")[0] not in {"0", "root"}
    assert yaml.safe_load(instruction("ENTRYPOINT")) == ["prometheus"], "found on PATH: /bin or /usr/bin"


def test_the_health_check_uses_only_what_both_bases_ship():
    # promtool comes with Prometheus; the official image has no bash, Debian's minimal one no wget.
    check = yaml.safe_load(instruction("HEALTHCHECK").split(" CMD ", 1)[1])
    assert check[0] == "promtool"


def test_the_stack_runs_the_monitor_unpublished_on_the_backend_network():
    monitor = stack_service("monitor")
    assert "ports" not in monitor
    assert monitor["networks"] == ["backend"]
    assert monitor["deploy"]["replicas"] == 1
    assert monitor["image"].startswith("${MONITOR_IMAGE")


def test_the_monitor_keeps_its_samples_on_a_tmpfs_it_fits_in():
    monitor = stack_service("monitor")
    assert monitor["read_only"] is True and monitor["cap_drop"] == ["ALL"]
    assert "tmpfs" not in monitor, "Swarm ignores the service-level key; a tmpfs volume works"
    (volume,) = monitor["volumes"]
    assert volume["type"] == "tmpfs"
    assert flags()["storage.tsdb.path"].startswith(volume["target"].rstrip("/") + "/")
    size_mb = int(whole(r"(\d+)MB", flags()["storage.tsdb.retention.size"])[1])
    assert size_mb * 2**20 < volume["tmpfs"]["size"], "Prometheus trims its data before the tmpfs is full"
    assert seconds(flags()["storage.tsdb.retention.time"]) <= 6 * 3600, "a few hours, in memory"
    limit_mb = int(whole(r"(\d+)M", monitor["deploy"]["resources"]["limits"]["memory"])[1])
    assert volume["tmpfs"]["size"] < limit_mb * 2**20, "the tmpfs counts against the memory limit"


def test_the_monitor_carries_the_project_labels_as_the_other_services_do():
    monitor, web = stack_service("monitor"), stack_service("web")
    assert monitor["labels"] == web["labels"]
    assert monitor["deploy"]["labels"] == web["deploy"]["labels"]


def test_nothing_new_is_published():
    services = yaml.safe_load(STACK_FILE.read_text())["services"]
    published = {name: service["ports"] for name, service in services.items() if "ports" in service}
    assert list(published) == ["edge"]
    assert [port["target"] for port in published["edge"]] == [8080]
