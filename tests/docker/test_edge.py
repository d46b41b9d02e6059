"""docker/edge/: nginx's stub_status stays on loopback, and the exporter started beside nginx reads
it and answers where the monitor looks, with flags both of Debian's exporter versions take."""

import re

from invoke.util import yaml

from tooling.core.settings import EDGE_CONTEXT, ROOT, STACK_FILE

START = (EDGE_CONTEXT / "start.sh").read_text()


def tokens(text):
    """nginx config tokens: words (quotes kept), `{`, `}` and `;`, comments dropped."""
    return re.findall(r"""'[^']*'|"[^"]*"|[{};]|[^\s{};'"#]+|#.*""", text)


def blocks(text):
    """Every block of the config as (its directive, the directives directly in it, its sub-blocks)."""
    found = []

    def parse(stream, name):
        directives: list[list[str]] = []
        children: list[tuple] = []
        words: list[str] = []
        for token in stream:
            if token.startswith("#"):
                continue
            if token == "{":
                children.append(parse(stream, words))
                words = []
            elif token == "}":
                break
            elif token == ";":
                directives.append(words)
                words = []
            else:
                words.append(token)
        block = (name, directives, children)
        found.append(block)
        return block

    parse(iter(tokens(text)), ["main"])
    return found


def servers():
    config = (EDGE_CONTEXT / "nginx.conf").read_text()
    return [block for block in blocks(config) if block[0] == ["server"]]


def listens(server):
    return [words[1] for words in server[1] if words[0] == "listen"]


def serves_stub_status(server):
    return any(words == ["stub_status"] for location in server[2] for words in location[1])


def stub_status_server():
    (server,) = [server for server in servers() if serves_stub_status(server)]
    return server


def test_the_parser_sees_both_servers():
    assert sorted(len(listens(server)) for server in servers()) == [1, 1]


def test_stub_status_listens_on_loopback_only():
    for address in listens(stub_status_server()):
        host, _, port = address.rpartition(":")
        assert host == "127.0.0.1" and port.isdigit(), address


def test_the_published_port_never_serves_stub_status():
    (published,) = yaml.safe_load(STACK_FILE.read_text())["services"]["edge"]["ports"]
    for server in servers():
        if any(address.rpartition(":")[2] == str(published["target"]) for address in listens(server)):
            assert not serves_stub_status(server)


def exporter_command():
    """The exporter's command line in start.sh, continuation lines joined, spaces squeezed."""
    lines = [" ".join(line.split()) for line in START.replace("\\\n", " ").splitlines()]
    (line,) = [line for line in lines if line.startswith("prometheus-nginx-exporter")]
    return line


def exporter_flags():
    arguments = exporter_command().split("||")[0].split()[1:]
    pairs = [re.fullmatch(r"--([a-z.-]+)=(\S+)", argument) for argument in arguments]
    assert all(pairs), f"every flag as --name=value: {arguments}"
    return {pair[1]: pair[2] for pair in pairs if pair}


def test_every_exporter_flag_is_written_so_both_versions_read_it():
    # Go's flag package (0.11, bookworm) and kingpin (1.x, trixie) both take --name=value; these are
    # the flags both versions have.
    assert re.fullmatch(r"prometheus-nginx-exporter( --[a-z.-]+=\S+)+ \|\| status=\$\?", exporter_command())
    assert set(exporter_flags()) <= {"nginx.scrape-uri", "web.listen-address", "web.telemetry-path"}


def shell_value(name):
    (value,) = re.findall(rf"\b{name}=(\S+)", START)
    return value


def test_the_exporter_reads_the_stub_status_nginx_serves():
    (address,) = listens(stub_status_server())
    location = next(location for location in stub_status_server()[2] if ["stub_status"] in location[1])
    assert location[0] == ["location", "=", "/stub_status"]
    scrape_uri = exporter_flags()["nginx.scrape-uri"].replace("$STATUS_PORT", shell_value("STATUS_PORT"))
    assert scrape_uri.strip('"') == f"http://{address}/stub_status"
    assert "/dev/tcp/127.0.0.1/$STATUS_PORT" in START, "and waits for that port before starting it"


def test_the_exporter_answers_where_the_monitor_looks():
    monitor = yaml.safe_load((ROOT / "docker" / "monitor" / "prometheus.yml").read_text())
    (edge,) = [job for job in monitor["scrape_configs"] if job["job_name"] == "edge"]
    port = edge["dns_sd_configs"][0]["port"]
    assert exporter_flags()["web.listen-address"] == '"$EXPORTER_ADDRESS"'
    assert shell_value("EXPORTER_ADDRESS") == f":{port}"
    assert exporter_flags()["web.telemetry-path"] == edge["metrics_path"]
    (expose,) = re.findall(r"^EXPOSE (.*)$", (EDGE_CONTEXT / "Dockerfile").read_text(), re.MULTILINE)
    assert str(port) in expose.split()


def test_nginx_becomes_the_main_process_and_gets_the_stop_signal():
    dockerfile = (EDGE_CONTEXT / "Dockerfile").read_text()
    assert "STOPSIGNAL SIGQUIT" in dockerfile
    assert 'ENTRYPOINT ["bash", "/usr/local/bin/edge-start.sh"]' in dockerfile
    assert "COPY start.sh /usr/local/bin/edge-start.sh" in dockerfile
    last = [line for line in START.splitlines() if line.strip() and not line.startswith("#")][-1]
    assert last.startswith("exec /usr/sbin/nginx ") and last.endswith('"$@"')
    assert "\nexporter &\n" in START, "the exporter loop runs in the background, nginx in front"
