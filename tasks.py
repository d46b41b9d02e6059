"""Tasks for the service: its image and container on this machine, its stack on a swarm. `inv --list`
shows them, `inv --help TASK` their flags, docs/configuration.md their settings (under `docker` in
Invoke's config; a flag beats them). Each task is a few lines over its verb in tooling/verbs/."""

from __future__ import annotations

import sys
from typing import Any

from invoke import Collection, Context, task

from tooling.core import settings as config
from tooling.core.errors import ToolError, exits_cleanly
from tooling.engine.engines import Engines


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
    from tooling.verbs.build import build_image

    settings = _settings(c, base_image=base_image)
    local = Engines(settings).local
    built = build_image(local, settings, no_cache=no_cache, pull=pull, build_args=build_arg or (), out=sys.stdout)
    print(f"built {', '.join(built.tags)}: {(built.image.size or 0) / 1e6:.0f} MB in {built.seconds:.1f}s")


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
    from tooling.core.terminal import LiveLine
    from tooling.engine.containers import url
    from tooling.verbs.run import run_service

    settings = _settings(c, port=port, host=host, env_file=env_file)
    if build_:
        build(c)
    with LiveLine() as progress:
        started = run_service(Engines(settings).local, settings, progress, dev=dev, role="dev" if dev else "service")
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
    from tooling.core.terminal import has_terminal
    from tooling.verbs.shell import open_shell

    if cmd is None and not has_terminal():
        raise ToolError('inv shell needs a terminal; to run one command without one, use --cmd "..."')
    settings = _settings(c)
    output = open_shell(Engines(settings).local, settings, cmd=cmd, root=root, new=new)
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
    from tooling.core.terminal import relay
    from tooling.verbs.logs import log_chunks, stack_log_chunks

    settings = _settings(c)
    engines = Engines(settings)
    chunks = (
        stack_log_chunks(engines.swarm, settings.stack, follow=follow, tail=tail)
        if stack
        else log_chunks(engines.local, settings.container, follow=follow, tail=tail, since=since)
    )
    relay(chunks)


@task
@exits_cleanly
def stop(c):
    """Stop and remove the service container."""
    from tooling.verbs.run import stop_service

    settings = _settings(c)
    code = stop_service(Engines(settings).local, settings)
    print(f"stopped and removed {settings.container} (exit code {code})")


@task
@exits_cleanly
def status(c):
    """Show this project's containers and, when it is deployed, the stack's replicas and nodes."""
    from tooling.verbs.status import report

    settings = _settings(c)
    print(report(Engines(settings), settings))


@task(help={"all": "Also say what becomes of the build cache (buildx's is shared: `docker buildx prune`)."})
@exits_cleanly
def clean(c, all_=False):
    """Remove the containers and images this project created, and nothing else (a deployed stack stays)."""
    from tooling.verbs.clean import clean_project

    settings = _settings(c)
    cleaned = clean_project(Engines(settings).local, settings.project)
    print("\n".join(cleaned.lines(build_cache=all_)))
    if cleaned.failed:
        raise ToolError(
            f"{len(cleaned.failed)} thing(s) could not be removed (above); try `inv clean` again once freed"
        )


@task
@exits_cleanly
def doctor(c):
    """Check that this machine can build, run and deploy the service, and say what to fix."""
    from tooling.verbs.doctor import run_checks, verdict

    settings = _settings(c)
    checks = run_checks(settings, Engines(settings))
    print("\n".join(check.line for check in checks))
    found = verdict(checks)
    if not found.ok:
        raise ToolError(found.line)
    print(found.line)


@task(help={"allow-dirty": "Push an image built from a working tree with uncommitted changes."})
@exits_cleanly
def push(c, allow_dirty=False):
    """Push the built image to docker.registry (and the edge's, when new); ends with the app's digest."""
    from tooling.verbs.push import push_release

    settings = _settings(c)
    pushed = push_release(Engines(settings).local, settings, allow_dirty=allow_dirty, out=sys.stdout)
    print(pushed.summary())


_DEPLOY_HELP = {
    "replicas": "Replicas of the app (default: docker.replicas, 2).",
    "break-lock": "Break a deploy lock left by a run that was killed, then go on.",
    "no-analysis": "Do not judge the release by its own traffic once Swarm has converged.",
}


@task(help={"image": "Deploy this image (a tag or repo@sha256:...), not the one pushed for HEAD.", **_DEPLOY_HELP})
@exits_cleanly
def deploy(c, image=None, replicas=None, break_lock=False, no_analysis=False):
    """Deploy the release pushed for HEAD to the swarm, wait until every replica serves it, judge its traffic."""
    _ship(c, replicas, break_lock, no_analysis, image=image)


@task(help={"to": "Roll back to this release: a digest (sha256:...) or a revision (7+ characters).", **_DEPLOY_HELP})
@exits_cleanly
def rollback(c, to=None, replicas=None, break_lock=False, no_analysis=False):
    """Redeploy the release before the one serving (or --to one) by the same path; its traffic is reported."""
    _ship(c, replicas, break_lock, no_analysis, to=to or "", rolling_back=True)


def _ship(c: Context, replicas: object, break_lock: bool, no_analysis: bool, **release: Any) -> None:
    """Deploy (or roll back to) a release with a live line until it converged and was judged."""
    from tooling.core.terminal import LiveLine
    from tooling.verbs.deploy import ship

    settings = _settings(c, replicas=replicas)
    with LiveLine() as line:
        done = ship(Engines(settings), settings, line, break_lock=break_lock, analyse=not no_analysis, **release)
    print(done.summary(settings))


@task(help={"break-lock": _DEPLOY_HELP["break-lock"]})
@exits_cleanly
def undeploy(c, break_lock=False):
    """Remove the stack, its networks, secrets and release history, and nothing else."""
    from tooling.core.terminal import LiveLine
    from tooling.verbs.undeploy import undeploy_stack

    settings = _settings(c)
    with LiveLine() as progress:
        removed = undeploy_stack(Engines(settings), settings, progress, break_lock=break_lock)
    print(removed.summary(settings.stack))


@task(
    help={
        "check": "Change nothing; fail when a pinned file no longer matches its input (what the lint session runs).",
        "upgrade": "Move every pin to the newest version its input allows.",
    }
)
@exits_cleanly
def lock(c, check=False, upgrade=False):
    """Pin every environment's requirements with hashes, from requirements/*.in."""
    from tooling.verbs.requirements import lock as pin

    print(pin(check=check, upgrade=upgrade))


@task(help={"once": "Print one table and exit (for scripts and CI logs)."})
@exits_cleanly
def top(c, once=False):
    """Show the deployed stack now, every 2 s until Ctrl-C: req/s, 5xx, p50/p99, in flight, restarts."""
    from tooling.core.terminal import refresh
    from tooling.verbs.top import watching

    settings = _settings(c)
    with watching(Engines(settings), settings) as look:
        refresh(look, every=2, once=once)


ns = Collection(build, run, shell, logs, stop, status, clean, doctor, lock, push, deploy, rollback, undeploy, top)
ns.configure({"docker": config.config_defaults()})
