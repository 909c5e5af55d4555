"""The steps of a deploy and how they run: commands, shown or executed in order.

A step is one command line. Two kinds of placeholder stand in its arguments for what
is known only once earlier steps ran: ``Output(name)``, a Terraform output (read with
``terraform output -raw`` after the apply), and the environment a step takes from a
command's output (``env_from``, e.g. a secret: read at run time, never printed). A
step may be skipped when a probe command succeeds (``unless``: creating what exists),
or get extra arguments when a probe prints something (``extend_when``: updating the
streaming job that runs rather than starting a second one).

``render`` writes a step as a shell line, with each placeholder as the ``$(...)``
command that yields it, so a dry run prints every command in order, copy-pasteable.
``execute`` runs them: the first failure stops the deploy (steps are idempotent, so a
rerun resumes), and a placeholder's command runs once, when a step first needs it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

TERRAFORM = ("terraform", "-chdir=terraform")


@dataclass(frozen=True)
class Output:
    """A Terraform output of the applied configuration."""

    name: str

    def command(self) -> tuple[str, ...]:
        return (*TERRAFORM, "output", "-raw", self.name)


@dataclass(frozen=True)
class Joined:
    """Arguments joined into one, e.g. ``--parameters=subscription=<output>,...``."""

    parts: tuple[str | Output, ...]


Arg = str | Output | Joined


@dataclass(frozen=True)
class Step:
    """One command of the deploy."""

    argv: tuple[Arg, ...]
    unless: tuple[str, ...] | None = None  # skipped when this command succeeds
    extend_when: tuple[tuple[str, ...], tuple[str, ...]] | None = None  # (probe, extra args)
    env_from: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # NAME -> command


class Runner(Protocol):
    def __call__(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None, capture: bool
    ) -> subprocess.CompletedProcess[str]: ...


def subprocess_runner(
    argv: Sequence[str], *, env: Mapping[str, str] | None, capture: bool
) -> subprocess.CompletedProcess[str]:
    """Run a command from the repository root, inheriting the terminal unless captured."""
    return subprocess.run(
        list(argv),
        env={**os.environ, **env} if env else None,
        capture_output=capture,
        text=True,
        check=False,
    )


def _shell(arg: Arg) -> str:
    if isinstance(arg, Output):
        return f"$({shlex.join(arg.command())})"
    if isinstance(arg, Joined):
        return "".join(_shell(part) if isinstance(part, Output) else part for part in arg.parts)
    return shlex.quote(arg)


def render(step: Step) -> str:
    """The step as one shell line (placeholders as ``$(...)``; conditions as comments)."""
    env = " ".join(f"{name}=$({shlex.join(command)})" for name, command in step.env_from.items())
    line = " ".join(_shell(arg) for arg in step.argv)
    if env:
        line = f"{env} {line}"
    if step.unless:
        line += f"  # unless {shlex.join(step.unless)} succeeds"
    if step.extend_when:
        probe, extra = step.extend_when
        line += f"  # plus {shlex.join(extra)} when {shlex.join(probe)} lists a job"
    return line


class StepFailed(RuntimeError):
    """A command of the deploy exited non-zero."""


def execute(steps: Sequence[Step], runner: Runner, echo: Callable[[str], None]) -> None:
    """Run the steps in order; raises StepFailed at the first failure."""
    outputs: dict[Output, str] = {}

    def captured(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return runner(argv, env=None, capture=True)

    def value(arg: Arg) -> str:
        if isinstance(arg, Joined):
            return "".join(value(part) for part in arg.parts)
        if not isinstance(arg, Output):
            return arg
        if arg not in outputs:
            result = captured(arg.command())
            if result.returncode:
                raise StepFailed(f"terraform output {arg.name} failed: {result.stderr.strip()}")
            outputs[arg] = result.stdout.strip()
        return outputs[arg]

    for step in steps:
        if step.unless and captured(step.unless).returncode == 0:
            echo(f"skipped (exists): {render(step)}")
            continue
        argv = [value(arg) for arg in step.argv]
        if step.extend_when:
            probe, extra = step.extend_when
            listed = captured(probe)
            if listed.returncode:
                raise StepFailed(f"{shlex.join(probe)} failed: {listed.stderr.strip()}")
            if listed.stdout.strip():
                argv.extend(extra)
        env = {}
        for name, command in step.env_from.items():
            result = captured(command)
            if result.returncode:
                raise StepFailed(f"{shlex.join(command)} failed: {result.stderr.strip()}")
            env[name] = result.stdout.strip()
        echo(f"+ {shlex.join(argv)}")
        if runner(argv, env=env or None, capture=False).returncode:
            raise StepFailed(f"failed: {shlex.join(argv)}")
