"""Tasks for the service's image and container: `inv --list` to see them, `inv --help TASK` for flags.

Settings live under `docker` in Invoke's config (defaults in tooling/settings.py, then invoke.yaml,
then INVOKE_DOCKER_* variables); a flag beats them all. The Docker work happens in tooling/.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from invoke import Collection, Context, task

from tooling import settings as config
from tooling.errors import ToolError, exits_cleanly


def _settings(c: Context, **flags: object) -> config.Settings:
    """The docker settings, with the flags that were given laid over them and checked alike."""
    return config.Settings.load(c.config.docker, flags)


@task(
    help={
        "no-cache": "Build every layer again instead of reusing the cache.",
        "pull": "Pull a newer base image before building.",
        "base-image": "Base image to build on (build arg PYTHON_IMAGE); default: docker.base_image.",
        "build-arg": "Extra build argument KEY=VALUE; repeat for more.",
    },
    iterable=["build_arg"],
)
@exits_cleanly
def build(c, no_cache=False, pull=False, base_image=None, build_arg=None):
    """Build the service's image from docker/Dockerfile."""
    from tooling.build import build_image
    from tooling.engine import connect

    settings = _settings(c, base_image=base_image)
    built = build_image(connect(), settings, no_cache=no_cache, pull=pull, build_args=build_arg or ())
    size = (built.image.size or 0) / 1e6
    print(f"built {', '.join(built.tags)}: {size:.0f} MB in {built.seconds:.1f}s")


@task(
    help={
        "port": "Host port to publish on (default: docker.port, 5000); 0 picks any free port.",
        "host": "Host address to publish on (default: docker.host, 127.0.0.1).",
        "env-file": "File of KEY=VALUE lines to pass into the container.",
        "dev": "Mount ./service into the container and reload gunicorn when it changes.",
        "build": "Build the image first.",
    },
)
@exits_cleanly
def run(c, port=None, host=None, env_file=None, dev=False, build_=False):
    """Start the service detached and wait until it is healthy."""
    from tooling.engine import connect, url
    from tooling.run import run_service
    from tooling.terminal import LiveLine

    settings = _settings(c, port=port, host=host, env_file=env_file)
    if build_:
        build(c)
    with LiveLine() as progress:
        started = run_service(connect(), settings, progress, dev=dev, role="dev" if dev else "service")
        progress.done(f"{started.container.name} is healthy after {started.seconds:.1f}s")
    address = url(started.container)
    print(f"{started.container.name} serves {address}  (try: curl {address}/test)")


@task(
    help={
        "cmd": "Run this one command instead of an interactive shell, and print its output.",
        "root": "Be root in the container instead of the service's user.",
        "new": "Use a throwaway container of the image instead of the running one.",
    },
)
@exits_cleanly
def shell(c, cmd=None, root=False, new=False):
    """Open a shell in the service's container (or run one command there)."""
    from tooling.engine import connect
    from tooling.shell import open_shell
    from tooling.terminal import has_terminal

    if cmd is None and not has_terminal():
        raise ToolError('inv shell needs a terminal; to run one command without one, use --cmd "..."')
    output = open_shell(connect(), _settings(c), cmd=cmd, root=root, new=new)
    if output:
        print(output)


@task(
    help={
        "follow": "Keep printing new lines until Ctrl-C.",
        "tail": "Show only the last N lines (of each replica, for a stack).",
        "since": "Show lines since a time (2024-01-31T12:00:00) or for a duration (10m, 1h).",
        "stack": "The deployed stack's replicas instead of the local container, each line marked with its replica.",
    },
)
@exits_cleanly
def logs(c, follow=False, tail=None, since=None, stack=False):
    """Print the service container's logs (or the deployed replicas', with --stack)."""
    from tooling.engine import connect
    from tooling.logs import log_chunks, stack_log_chunks
    from tooling.terminal import relay

    settings = _settings(c)
    if stack:
        relay(stack_log_chunks(connect(), settings.stack, follow=follow, tail=tail))
    else:
        relay(log_chunks(connect(), settings.container, follow=follow, tail=tail, since=since))


@task
@exits_cleanly
def stop(c):
    """Stop and remove the service container."""
    from tooling.engine import connect, require_container
    from tooling.run import stop_service

    settings = _settings(c)
    code = stop_service(require_container(connect(), settings.container), settings.stop_timeout)
    print(f"stopped and removed {settings.container} (exit code {code})")


@task
@exits_cleanly
def status(c):
    """Show this project's containers and, when it is deployed, the stack's replicas."""
    from tooling.engine import connect
    from tooling.status import container_rows, stack_rows
    from tooling.terminal import print_status

    settings, client = _settings(c), connect()
    print_status(container_rows(client, settings.project), settings.stack, stack_rows(client, settings.stack))


@task(
    help={
        "all": "Also account for the build cache: the classic builder's layers carry the project label and "
        "go with the images; buildx's cache has no labels and is shared, so it is left to `docker buildx prune`."
    }
)
@exits_cleanly
def clean(c, all_=False):
    """Remove the containers and images this project created, and nothing else (a deployed stack stays)."""
    from tooling.clean import clean_project
    from tooling.engine import connect

    print("\n".join(clean_project(connect(), _settings(c).project).lines(build_cache=all_)))


@task
@exits_cleanly
def doctor(c):
    """Check that this machine can build, run and deploy the service, and say what to fix."""
    from tooling.doctor import run_checks, verdict

    checks = run_checks(_settings(c))
    print("\n".join(check.line for check in checks))
    print(verdict(checks))


@task(help={"allow-dirty": "Push an image built from a working tree with uncommitted changes."})
@exits_cleanly
def push(c, allow_dirty=False):
    """Push the built image to docker.registry (and the edge's, when new); ends with the app's digest."""
    from tooling.engine import connect
    from tooling.push import push_release

    pushed = push_release(connect(), _settings(c), allow_dirty=allow_dirty)
    print(f"pushed {', '.join(pushed.tags)}")
    print(f"edge {pushed.edge} ({'built and pushed' if pushed.edge_built else 'already in the registry'})")
    print(pushed.web)


_DEPLOY_HELP = {
    "replicas": "Replicas of the app (default: docker.replicas, 2).",
    "break-lock": "Break a deploy lock left by a run that was killed, then go on.",
}


@task(
    help={"image": "Deploy this image (a tag or repo@sha256:...) instead of the one pushed for HEAD.", **_DEPLOY_HELP}
)
@exits_cleanly
def deploy(c, image=None, replicas=None, break_lock=False):
    """Deploy the release pushed for HEAD to the swarm stack and wait until every replica serves it."""
    from tooling.deploy import resolve

    _ship(c, lambda client, settings: resolve(client, settings, image), replicas, break_lock)


@task(
    help={
        "to": "Roll back to this release: a digest (sha256:...) or a git revision, at least 7 characters.",
        **_DEPLOY_HELP,
    }
)
@exits_cleanly
def rollback(c, to=None, replicas=None, break_lock=False):
    """Redeploy the release before the one serving (or --to one), by the same health-gated path."""
    from tooling.deploy import rollback_target

    _ship(c, lambda client, settings: rollback_target(client, settings, to), replicas, break_lock)


def _ship(c: Context, choose: Callable[..., Any], replicas: object, break_lock: bool) -> None:
    """Deploy the release ``choose(client, settings)`` picks, with a live line until it converged."""
    from tooling.deploy import deploy_release
    from tooling.engine import connect
    from tooling.terminal import LiveLine

    settings, client = _settings(c, replicas=replicas), connect()
    release = choose(client, settings)
    with LiveLine() as line:
        done = deploy_release(client, settings, release, line, replicas=settings.replicas, break_lock=break_lock)
    print(done.summary(settings))


@task(help={"break-lock": _DEPLOY_HELP["break-lock"]})
@exits_cleanly
def undeploy(c, break_lock=False):
    """Remove the stack, its networks, secrets and release history, and nothing else."""
    from tooling.engine import connect
    from tooling.terminal import LiveLine
    from tooling.undeploy import undeploy_stack

    settings = _settings(c)
    with LiveLine() as progress:
        removed = undeploy_stack(connect(), settings, progress, break_lock=break_lock)
    print(removed.summary(settings.stack))


@task(
    help={
        "check": "Change nothing; fail when a lock no longer matches its input (what the lint session runs).",
        "upgrade": "Move every pin to the newest version its input allows.",
    }
)
@exits_cleanly
def lock(c, check=False, upgrade=False):
    """Lock every environment's requirements with hashes, from requirements/*.in."""
    from tooling.lock import relock, require_current

    if check:
        require_current()
        print("every lock matches its input")
        return
    changed = relock(upgrade=upgrade)
    print(f"relocked: {', '.join(changed)}" if changed else "every lock was already up to date")


ns = Collection(build, run, shell, logs, stop, status, clean, doctor, lock, push, deploy, rollback, undeploy)
ns.configure({"docker": config.config_defaults()})
