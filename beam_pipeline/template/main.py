"""The Flex Template launcher's entry point: the streaming job, parameters as flags.

Dataflow's launcher runs ``python main.py --subscription=... --output=... --runner=...``
with the template's parameters and its own pipeline options mixed as ``--name=value``
flags. The job's own flags (those of ``coinpulse pipeline``; metadata.json names them
with underscores, e.g. ``flush_seconds``) are passed to it; every other flag goes to
Beam as a pipeline option (``--project`` to both), with ``--runner=DataflowRunner``
and ``--setup_file`` (this directory's ``setup.py``: only the core and the pipeline
packages, for the workers) unless the launcher gave them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from beam_pipeline import streaming

SETUP_FILE = Path(__file__).with_name("setup.py")
SHARED_FLAGS = {"--project"}  # the job's default project and Dataflow's


def job_flags() -> set[str]:
    """The option strings ``coinpulse pipeline`` itself understands."""
    parser = argparse.ArgumentParser()
    streaming.configure(parser)
    return {flag for action in parser._actions for flag in action.option_strings}


def split(argv: Sequence[str]) -> list[str]:
    """``--name=value`` flags -> the job's own flags, then ``--`` and Beam's options."""
    own, beam = [], []
    flags = job_flags()
    for arg in argv:
        name, equals, value = arg.partition("=")
        flag = name.replace("_", "-")
        if flag in flags:
            own.append(f"{flag}{equals}{value}")
        if flag not in flags or flag in SHARED_FLAGS:
            beam.append(arg)
    for option, default in (("--runner", "DataflowRunner"), ("--setup_file", str(SETUP_FILE))):
        if not any(arg.split("=", 1)[0] == option for arg in beam):
            beam.append(f"{option}={default}")
    return [*own, "--", *beam]


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(streaming.run(split(sys.argv[1:])))
