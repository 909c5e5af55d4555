"""Job ids: one per object generation, valid for BigQuery."""

import re

import pytest

from functions.loader import jobs

pytestmark = pytest.mark.unit


def test_job_ids_are_deterministic_per_generation_and_valid_for_bigquery() -> None:
    name = "stream_prices/dt=2026-05-18/hh=12/stream_prices-20260518T121010Z-p0-0a1b.jsonl"
    first = jobs.job_id("stream_prices", "lake", name, 1747570210000001)
    assert first == jobs.job_id("stream_prices", "lake", name, 1747570210000001)
    assert first != jobs.job_id("stream_prices", "lake", name, 1747570210000002)
    assert first != jobs.job_id("stream_prices", "other", name, 1747570210000001)
    retry = jobs.job_id("stream_prices", "lake", name, 1747570210000001, attempt=2)
    merge = jobs.job_id("stream_prices", "lake", name, 1747570210000001, action="merge")
    assert retry == first + "_a2" and merge == first.replace("load_", "merge_", 1)
    for job_id in (first, retry, merge):
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,1024}", job_id)
    assert first.startswith("load_stream_prices_")
