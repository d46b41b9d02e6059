"""The images the cluster runs: the node image (tests/cluster/node/), tagged by a hash of its build
context and base image so that an unchanged one is reused from run to run, and a 2 MB busybox image
made from it for probes and the services scenarios start."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from tests.cluster.engines import ClusterError, docker
from tests.cluster.models import LABEL, PREFIX, ROLE_LABEL
from tooling.core.terminal import LiveLine
from tooling.core.waiting import Progress

NODE_CONTEXT = Path(__file__).parent / "node"
NODE_IMAGE = f"{PREFIX}-node"
BUSYBOX_IMAGE = f"{PREFIX}-busybox"
CONTEXT_LABEL = f"{LABEL}.context"  # on the node image: the hash its tag is made of
BASE_IMAGE_VARIABLE = "CLUSTER_NODE_BASE_IMAGE"
# The node Dockerfile's own default, so that the two never disagree: what a user with Docker Hub pulls.
DEFAULT_BASE_IMAGE = re.findall(r"^ARG DEBIAN_IMAGE=(\S+)", (NODE_CONTEXT / "Dockerfile").read_text(), re.M)[0]


def base_image() -> str:
    return os.environ.get(BASE_IMAGE_VARIABLE) or DEFAULT_BASE_IMAGE


def present_or_pulled(image: str) -> bool:
    with contextlib.suppress(ClusterError):
        docker("image", "inspect", "--format", "{{.Id}}", image)
        return True
    try:
        docker("pull", "--quiet", image, timeout=600)
    except ClusterError:
        return False
    return True


def context_hash(base_id: str) -> str:
    """A hash of the node image's build context (names, executable bits, contents) and its base's id."""
    digest = hashlib.sha256(base_id.encode())
    for path in sorted(p for p in NODE_CONTEXT.rglob("*") if p.is_file()):
        digest.update(f"\0{path.relative_to(NODE_CONTEXT)}\0{path.stat().st_mode & 0o111:o}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def node_image(base: str | None = None, progress: Progress | None = None) -> str:
    """The node image for this context and base image, built only when no image of that hash exists."""
    base = base or base_image()
    progress = progress or LiveLine()
    digest = context_hash(docker("image", "inspect", "--format", "{{.Id}}", base))
    tag = f"{NODE_IMAGE}:{digest[:12]}"
    if docker("image", "ls", "--quiet", tag):
        return tag
    command = [
        "docker", "build", "--force-rm", "--tag", tag, "--build-arg", f"DEBIAN_IMAGE={base}",
        f"--label={ROLE_LABEL}=node-image", f"--label={CONTEXT_LABEL}={digest}", str(NODE_CONTEXT),
    ]  # fmt: skip
    started = time.monotonic()
    with tempfile.TemporaryFile() as log:
        build = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            while build.poll() is None:
                seconds = time.monotonic() - started
                progress(f"cluster: building the node image {tag} on {base} ({seconds:.0f}s)", "build")
                time.sleep(0.5)
        finally:
            if build.poll() is None:  # interrupted: the daemon drops a build whose client went away
                build.terminate()
                build.wait()
        if build.returncode != 0:
            log.seek(0)
            tail = "\n".join(log.read().decode("utf-8", "replace").splitlines()[-25:])
            raise ClusterError(f"the node image did not build from {NODE_CONTEXT} on {base}", tail)
    _remove_older("node-image", tag)
    progress(f"cluster: built the node image {tag} in {time.monotonic() - started:.0f}s", "built")
    return tag


def busybox_image(node_image: str) -> str:
    """A 2 MB image holding only the node image's static busybox (sh, httpd, wget, nslookup, nc...):
    quick to push and pull, for the registry check and for the services scenarios start."""
    tag = f"{BUSYBOX_IMAGE}:{node_image.rsplit(':', 1)[1]}"
    if docker("image", "ls", "--quiet", tag):
        return tag
    dockerfile = (
        f"FROM {node_image} AS node\nFROM scratch\nCOPY --from=node /bin/busybox /bin/busybox\n"
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]\nCMD ["sh"]\n'
    )
    docker("build", "--force-rm", "--tag", tag, f"--label={ROLE_LABEL}=busybox-image", "-", input=dockerfile.encode())
    _remove_older("busybox-image", tag)
    return tag


def _remove_older(role: str, kept: str) -> None:
    """Only the newest image of a role stays, as the next run's cache (and any a live run still uses)."""
    listed = docker("image", "ls", "--filter", f"label={ROLE_LABEL}={role}", "--format", "{{.Repository}}:{{.Tag}}")
    for older in set(listed.split()) - {kept}:
        with contextlib.suppress(ClusterError):  # in use by another run's nodes: that run still needs it
            docker("image", "rm", older)
