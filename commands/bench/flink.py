# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""The backfill on Flink next to the FnApiRunner, on the same generated day.

The pipeline suite's archive day (five pairs, µs archive CSVs) goes through
``coinpulse backfill``'s pipeline twice: on the in-process FnApiRunner, then on
Beam's FlinkRunner with an embedded Flink cluster (``--flink-master [local]``,
the Python transforms in this process, LOOPBACK). The Flink time includes the
job server's start and the job's submission, as a user sees it; the start-up
alone is the Flink time of a tiny input (one trade per pair), measured first. The
check compares the two runs' objects: same names, same bytes. The job server is
fetched with Maven first if the state folder does not hold it (not timed).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import apache_beam as beam

from beam_pipeline import backfill, options
from beam_pipeline.flink import jars, runner
from commands.bench.pipeline import BACKFILL_TRADES_PER_PAIR, generate_archive_day


def _run_backfill(paths: list[Path], output: Path, runner_name: str) -> float:
    beam_args = runner.beam_args(runner_name, runner.LOCAL_MASTER, [])
    pipeline = beam.Pipeline(
        options=options.pipeline_options(
            beam_args, default_runner=options.BATCH_RUNNER, streaming=False
        )
    )
    backfill.build(pipeline, [str(p) for p in paths], str(output))
    started = time.perf_counter()
    pipeline.run().wait_until_finish()
    return time.perf_counter() - started


def _objects(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.jsonl"))}


def run(quick: bool) -> list[str]:
    jars.job_server_jar()
    per_pair = BACKFILL_TRADES_PER_PAIR // (10 if quick else 1)
    with tempfile.TemporaryDirectory(prefix="coinpulse-bench-flink-") as tmp:
        folder = Path(tmp)
        (folder / "tiny").mkdir()
        tiny = generate_archive_day(folder / "tiny", 1)
        startup = _run_backfill(tiny, folder / "tiny-out", "flink")
        paths = generate_archive_day(folder, per_pair)
        fnapi_seconds = _run_backfill(paths, folder / "fnapi", "fnapi")
        flink_seconds = _run_backfill(paths, folder / "flink", "flink")
        on_flink = _objects(folder / "flink")
        same = on_flink == _objects(folder / "fnapi")
    trades = per_pair * len(paths)
    return [
        f"backfill on FnApiRunner: {trades:,} trades ({len(paths)} pairs, one day) in "
        f"{fnapi_seconds:.1f} s = {trades / fnapi_seconds:,.0f} trades/s",
        f"backfill on Flink ([local], LOOPBACK): the same in {flink_seconds:.1f} s = "
        f"{trades / flink_seconds:,.0f} trades/s; Flink/FnApiRunner time ratio "
        f"{flink_seconds / fnapi_seconds:.1f}",
        f"Flink start-up (job server, embedded cluster, submission; {len(tiny)} trades): "
        f"{startup:.1f} s",
        f"flink check: {len(on_flink)} object(s), "
        f"{'identical to' if same else 'DIFFERENT from'} the FnApiRunner's",
    ]
