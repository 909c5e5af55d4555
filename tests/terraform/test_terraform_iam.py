"""Least privilege: each service account holds exactly its listed roles, on resources.

Every IAM grant of the configuration is an ``*_iam_member`` resource; they are
collected per service account (module and resource name) with the kind of resource
they are granted on. Project-level grants are only those Google offers nowhere else
(BigQuery's jobUser, Dataflow's worker, Eventarc's receiver, log writing), besides the
two deploy identities. No key, no authoritative binding or policy, no basic role
outside the read-only pull-request checks.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from tests.terraform.hcl import TERRAFORM, configuration, roles_of

pytestmark = pytest.mark.unit

MEMBER = re.compile(r"^\$\{google_service_account\.(\w+)\.member\}$")
GRANTED_ON = {
    "google_project_iam_member": "project",
    "google_storage_bucket_iam_member": "bucket",
    "google_pubsub_topic_iam_member": "topic",
    "google_pubsub_subscription_iam_member": "subscription",
    "google_bigquery_dataset_iam_member": "dataset",
    "google_secret_manager_secret_iam_member": "secret",
    "google_artifact_registry_repository_iam_member": "repository",
    "google_cloud_run_v2_service_iam_member": "service",
    "google_cloud_run_v2_job_iam_member": "job",
    "google_service_account_iam_member": "service account",
    "google_billing_account_iam_member": "billing account",
}

DEPLOYER_PROJECT_ROLES = {
    "roles/artifactregistry.admin",
    "roles/bigquery.admin",
    "roles/cloudbuild.builds.editor",
    "roles/cloudfunctions.admin",
    "roles/cloudscheduler.admin",
    "roles/dataflow.developer",
    "roles/eventarc.admin",
    "roles/iam.serviceAccountAdmin",
    "roles/iam.serviceAccountUser",
    "roles/iam.workloadIdentityPoolAdmin",
    "roles/logging.configWriter",
    "roles/logging.logWriter",
    "roles/monitoring.editor",
    "roles/pubsub.admin",
    "roles/resourcemanager.projectIamAdmin",
    "roles/run.admin",
    "roles/secretmanager.admin",
    "roles/serviceusage.serviceUsageAdmin",
    "roles/storage.admin",
}

EXPECTED: dict[tuple[str, str], set[tuple[str, str]]] = {
    ("relay", "relay"): {
        ("roles/pubsub.publisher", "topic"),
        ("roles/storage.objectUser", "bucket"),
    },
    ("pipeline", "pipeline"): {
        ("roles/pubsub.subscriber", "subscription"),
        ("roles/pubsub.viewer", "subscription"),
        ("roles/storage.objectUser", "bucket"),
        ("roles/artifactregistry.reader", "repository"),
        ("roles/dataflow.worker", "project"),
    },
    ("loader", "loader"): {
        ("roles/storage.objectViewer", "bucket"),
        ("roles/storage.objectCreator", "bucket"),
        ("roles/bigquery.dataEditor", "dataset"),
        ("roles/bigquery.jobUser", "project"),
    },
    ("loader", "trigger"): {
        ("roles/run.invoker", "service"),
        ("roles/eventarc.eventReceiver", "project"),
    },
    ("daily_lane", "coingecko"): {
        ("roles/storage.objectUser", "bucket"),
        ("roles/secretmanager.secretAccessor", "secret"),
    },
    ("daily_lane", "scheduler"): {("roles/run.invoker", "service")},
    ("transform", "transform"): {
        ("roles/bigquery.dataViewer", "dataset"),
        ("roles/bigquery.dataEditor", "dataset"),
        ("roles/bigquery.jobUser", "project"),
    },
    # The daily full test runs the job with other arguments (run.jobs.runWithOverrides).
    ("transform", "scheduler"): {("roles/run.jobsExecutorWithOverrides", "job")},
    ("monitoring", "monitoring"): {
        ("roles/bigquery.dataViewer", "dataset"),
        ("roles/bigquery.jobUser", "project"),
    },
    ("root", "functions_build"): {
        ("roles/artifactregistry.writer", "repository"),
        ("roles/storage.objectViewer", "bucket"),
        ("roles/logging.logWriter", "project"),
    },
    ("root", "deployer"): {(role, "project") for role in DEPLOYER_PROJECT_ROLES}
    | {
        ("roles/secretmanager.secretAccessor", "secret"),
        ("roles/billing.costsManager", "billing account"),
    },
    ("root", "checks"): {
        ("roles/viewer", "project"),
        ("roles/iam.securityReviewer", "project"),
        ("roles/logging.logWriter", "project"),
        ("roles/storage.objectViewer", "bucket"),
    },
}
# Project-level roles a component may hold: there is no narrower resource to grant on.
PROJECT_ONLY = {
    "roles/bigquery.jobUser",
    "roles/dataflow.worker",
    "roles/eventarc.eventReceiver",
    "roles/logging.logWriter",
}
DEPLOY_IDENTITIES = {("root", "deployer"), ("root", "checks")}


def grants() -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(module, service account) -> {(role, granted on)} over the whole configuration."""
    found: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for name, module in configuration().items():
        for key, body in module.resources.items():
            kind = key.split(".")[0]
            if not kind.endswith("_iam_member"):
                continue
            account = MEMBER.match(body["member"])
            if account:
                for role in roles_of(module, body):
                    found[(name, account[1])].add((role, GRANTED_ON[kind]))
    return found


def test_every_service_account_holds_exactly_its_listed_roles() -> None:
    accounts = {
        (name, account)
        for name, module in configuration().items()
        for account in module.of_type("google_service_account")
    }
    assert accounts == set(EXPECTED)
    assert dict(grants()) == EXPECTED


def test_components_hold_project_roles_only_where_no_resource_level_exists() -> None:
    for account, held in grants().items():
        if account in DEPLOY_IDENTITIES:
            continue
        project_roles = {role for role, on in held if on == "project"}
        assert project_roles <= PROJECT_ONLY, account


def test_no_key_no_authoritative_binding_no_basic_role_for_a_component() -> None:
    kinds = {key.split(".")[0] for m in configuration().values() for key in m.resources}
    assert "google_service_account_key" not in kinds
    assert not {k for k in kinds if k.endswith(("_iam_binding", "_iam_policy"))}
    text = "\n".join(path.read_text() for path in TERRAFORM.rglob("*.tf"))
    assert "google_service_account_key" not in text and "private_key" not in text
    basic = {"roles/owner", "roles/editor", "roles/viewer"}
    for account, held in grants().items():
        if account != ("root", "checks"):
            assert not {role for role, _ in held} & basic, account


def test_the_service_agents_get_what_dead_lettering_and_storage_events_need() -> None:
    pipeline = configuration()["pipeline"]
    agent = pipeline.locals["pubsub_agent"]
    assert agent.endswith("@gcp-sa-pubsub.iam.gserviceaccount.com")
    topic = pipeline.of_type("google_pubsub_topic_iam_member")["agent_publishes_undeliverable"]
    assert (topic["member"], topic["role"]) == ("${local.pubsub_agent}", "roles/pubsub.publisher")
    assert topic["topic"] == "${google_pubsub_topic.undeliverable.id}"
    forwarded = pipeline.of_type("google_pubsub_subscription_iam_member")
    subscriber = forwarded["agent_acknowledges_forwarded"]
    assert subscriber["subscription"] == "${google_pubsub_subscription.pipeline.id}"
    assert subscriber["role"] == "roles/pubsub.subscriber"
    loader = configuration()["loader"]
    gcs = loader.of_type("google_project_iam_member")["gcs_agent_publishes_events"]
    assert gcs["role"] == "roles/pubsub.publisher"
    assert "google_storage_project_service_account" in gcs["member"]


def test_federated_ci_may_only_impersonate_the_deployer_from_main() -> None:
    root = configuration()["root"]
    [provider] = root.of_type("google_iam_workload_identity_pool_provider").values()
    assert provider["attribute_condition"] == (
        "assertion.sub == 'repo:${var.github_repository}:ref:refs/heads/main'"
    )
    [binding] = root.of_type("google_service_account_iam_member").values()
    assert binding["service_account_id"] == "${google_service_account.deployer.name}"
    assert binding["role"] == "roles/iam.workloadIdentityUser"
    assert binding["member"].startswith("principalSet://")
