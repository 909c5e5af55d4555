"""The components' wiring: each gets exactly the settings its code reads, as documented.

Read from the parsed configuration (tests/terraform/hcl.py) and checked against the
code and the contracts it shares: the lake's finalize event type, the relay's
variables, the CoinGecko schedule, the durable subscription, the alerts' channel.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from coinpulse import lake
from tests.terraform.hcl import OPTIONS, TERRAFORM, Module, configuration

pytestmark = pytest.mark.unit

ROOT = TERRAFORM.parent
COMPONENTS = {"relay", "pipeline", "loader", "daily_lane", "transform", "monitoring"}
# Pub/Sub: retention from 10 minutes to 31 days (external-facts.md section 5).
MAX_RETENTION_SECONDS = 31 * 86_400
# CoinGecko publishes the last UTC day at 00:35 UTC (docs/coingecko.md).
COINGECKO_PUBLISHES_AT = (0, 35)


def module(name: str) -> Module:
    return configuration()[name]


def read_by(folders: tuple[str, ...], variable: str) -> bool:
    """Whether the code under these folders (or the core) names the variable."""
    sources = [p for f in (*folders, "coinpulse") for p in (ROOT / f).rglob("*.py")]
    return any(f'"{variable}"' in path.read_text() for path in sources)


def env_of_container(service: dict[str, Any]) -> dict[str, str]:
    [template] = service["template"]
    while "containers" not in template:  # a job's template nests a task template
        [template] = template["template"]
    [container] = template["containers"]
    return {entry["name"]: entry["value"] for entry in container["env"]}


def seconds(duration: str) -> int:
    return int(duration.removesuffix("s"))


def test_one_module_per_component_composed_by_the_root() -> None:
    calls = module("root").calls
    assert set(calls) == COMPONENTS
    assert {call["source"] for call in calls.values()} == {f"./modules/{c}" for c in COMPONENTS}


def test_nothing_project_or_region_specific_is_hard_coded() -> None:
    text = "\n".join(path.read_text() for path in TERRAFORM.rglob("*.tf"))
    assert not re.search(r'"(us|europe|asia|australia|northamerica|southamerica)-[a-z]+\d"', text)
    root = module("root").variables
    assert "default" not in root["project_id"] and "default" not in root["region"]
    assert "default" not in root["bucket_prefix"] and "default" not in root["alert_email"]
    example = hcl2.load(
        (TERRAFORM / "terraform.tfvars.example").open(), serialization_options=OPTIONS
    )
    required = {name for name, body in root.items() if "default" not in body}
    assert required - {"image_tag"} <= set(example)  # coinpulse deploy passes the tag


def test_the_region_is_never_a_us_region() -> None:
    condition = '${!startswith(var.region, "us-")}'
    [root_rule] = module("root").variables["region"]["validation"]
    [relay_rule] = module("relay").variables["region"]["validation"]
    assert root_rule["condition"] == relay_rule["condition"] == condition
    assert module("root").calls["relay"]["region"] == "${var.region}"
    example = hcl2.load(
        (TERRAFORM / "terraform.tfvars.example").open(), serialization_options=OPTIONS
    )
    assert not example["region"].startswith("us-")


def test_the_relay_runs_one_always_on_instance_with_a_durable_checkpoint() -> None:
    service = module("relay").of_type("google_cloud_run_v2_service")["relay"]
    [service_scaling] = service["scaling"]
    [template] = service["template"]
    [revision_scaling] = template["scaling"]
    for scaling in (service_scaling, revision_scaling):
        assert (scaling["min_instance_count"], scaling["max_instance_count"]) == (1, 1)
    [container] = template["containers"]
    [resources] = container["resources"]
    assert resources["cpu_idle"] is False
    [liveness] = container["liveness_probe"]
    assert liveness["http_get"][0]["path"] == "/healthz"
    env = env_of_container(service)
    assert env["RELAY_CHECKPOINT"].startswith("gs://")
    assert env["RELAY_SINK"] == "pubsub:${google_pubsub_topic.trades.id}"
    assert all(read_by(("relay",), name) for name in env), env


def test_the_pipeline_subscription_survives_a_stopped_pipeline_and_dead_letters() -> None:
    pipeline = module("pipeline")
    subscriptions = pipeline.of_type("google_pubsub_subscription")
    for subscription in subscriptions.values():
        assert subscription["expiration_policy"] == [{"ttl": ""}]
    [policy] = subscriptions["pipeline"]["dead_letter_policy"]
    assert policy["dead_letter_topic"] == "${google_pubsub_topic.undeliverable.id}"
    assert subscriptions["undeliverable"]["topic"] == "${google_pubsub_topic.undeliverable.id}"
    root = module("root").variables
    retention = seconds(root["subscription_retention"]["default"])
    assert 86_400 <= retention <= MAX_RETENTION_SECONDS
    assert 5 <= root["max_delivery_attempts"]["default"] <= 100


def test_the_loader_receives_the_lake_buckets_finalize_events_with_retries() -> None:
    loader = module("loader").of_type("google_cloudfunctions2_function")["loader"]
    [trigger] = loader["event_trigger"]
    assert trigger["event_type"] == lake.FINALIZED
    assert trigger["retry_policy"] == "RETRY_POLICY_RETRY"
    assert trigger["event_filters"] == [{"attribute": "bucket", "value": "${var.lake_bucket}"}]
    assert module("root").calls["loader"]["lake_bucket"] == "${google_storage_bucket.lake.name}"
    [build] = loader["build_config"]
    assert build["entry_point"] == "on_finalize"
    [service] = loader["service_config"]
    assert service["timeout_seconds"] <= 540  # event-driven functions' maximum
    assert all(read_by(("functions/loader",), name) for name in service["environment_variables"])


def test_the_coingecko_functions_are_private_called_with_oidc_after_publication() -> None:
    lane = module("daily_lane")
    assert lane.locals["functions"] == {"markets": "coingecko_markets", "ohlc": "coingecko_ohlc"}
    function = lane.of_type("google_cloudfunctions2_function")["coingecko"]
    [service] = function["service_config"]
    assert service["ingress_settings"] == "ALLOW_INTERNAL_ONLY"
    assert service["environment_variables"]["COINPULSE_LAKE"].startswith("gs://")
    [secret] = service["secret_environment_variables"]
    assert secret["key"] == "COINGECKO_API_KEY"
    names = [*service["environment_variables"], secret["key"]]
    assert all(read_by(("functions/coingecko",), name) for name in names)
    job = lane.of_type("google_cloud_scheduler_job")["coingecko"]
    [target] = job["http_target"]
    [token] = target["oidc_token"]
    assert token["service_account_email"] == "${google_service_account.scheduler.email}"
    assert token["audience"] == target["uri"] == "${each.value.service_config[0].uri}"
    minute, hour = module("root").variables["coingecko_schedule"]["default"].split()[:2]
    assert (int(hour), int(minute)) > COINGECKO_PUBLISHES_AT
    assert "allUsers" not in Path(TERRAFORM / "modules/daily_lane/main.tf").read_text()


def test_the_transform_runs_on_schedule_and_never_overlaps_itself() -> None:
    transform = module("transform")
    job = transform.of_type("google_cloud_scheduler_job")["transform"]
    [target] = job["http_target"]
    assert target["uri"].endswith(":run") and "oauth_token" in target
    runs = transform.locals["runs"]
    assert runs["transform"]["args"] is None  # the image's CMD: dbt build
    assert runs["full-test"]["args"] == ["--", "test"]  # every row, once a day
    [binding] = transform.of_type("google_cloud_run_v2_job_iam_member").values()
    assert binding["role"] == "roles/run.jobsExecutorWithOverrides"
    dockerfile = (ROOT / "dbt/image/Dockerfile").read_text()
    assert 'CMD ["--", "build"]' in dockerfile
    root = module("root").variables
    interval = int(root["transform_schedule"]["default"].split()[0].removeprefix("*/"))
    assert root["transform_timeout_seconds"]["default"] < interval * 60
    datasets = module("root").calls["transform"]["model_datasets"]
    assert datasets == [
        '${google_bigquery_dataset.datasets["staging"].dataset_id}',
        '${google_bigquery_dataset.datasets["mart"].dataset_id}',
    ]


def test_every_alert_notifies_the_channel() -> None:
    monitoring = module("monitoring")
    assert monitoring.locals["channels"] == ["${google_monitoring_notification_channel.email.id}"]
    policies = monitoring.of_type("google_monitoring_alert_policy")
    assert set(policies) == {
        "relay_down",
        "windows_stale",
        "missing_trades",
        "dead_letters",
        "loader_failures",
        "load_quota",
    }
    for policy in policies.values():
        assert policy["notification_channels"] == "${local.channels}"
    [budget] = monitoring.of_type("google_billing_budget").values()
    [rule] = budget["all_updates_rule"]
    assert rule["monitoring_notification_channels"] == "${local.channels}"


def test_log_based_metrics_match_the_loaders_log_lines() -> None:
    handler = (ROOT / "functions/loader/handler.py").read_text()
    assert (
        '"object loaded"' in handler and "table=table" in handler and "rows=result.rows" in handler
    )
    metrics = module("monitoring").of_type("google_logging_metric")
    loaded = module("monitoring").locals["loaded"]
    assert loaded.startswith('jsonPayload.message="object loaded" AND ')
    assert '"stream_prices"' in metrics["windows_loaded"]["filter"]
    assert '"dead_letters"' in metrics["dead_letters_loaded"]["filter"]


def test_the_completeness_assertion_gets_every_value_its_sql_uses() -> None:
    sql = (TERRAFORM / "modules/monitoring/missing_trades.sql").read_text()
    placeholders = set(re.findall(r"\$\{(\w+)\}", sql))
    transfer = module("monitoring").of_type("google_bigquery_data_transfer_config")
    query = transfer["missing_trades"]["params"]["query"]
    passed = set(re.findall(r"(\w+)\s*=", query.split("missing_trades.sql", 1)[1]))
    assert placeholders == passed == {"project", "dataset", "lookback_hours", "settle_minutes"}
    assert "stream_prices" in sql and sql.count("\nASSERT (") == 1
