# The Beam job's side of Pub/Sub and its worker identity. The job itself is launched
# from the Flex Template that `make package` builds (dist/beam) with the `gcloud
# dataflow flex-template run` line that `coinpulse deploy` prints and runs, from this
# module's outputs: the google provider has no Flex Template job resource outside its
# beta channel.
#
# The subscription keeps unacknowledged messages for its whole retention and never
# expires, so a pipeline stopped for a day or redeployed loses nothing. A message that
# fails delivery max_delivery_attempts times goes to the undeliverable topic, whose own
# subscription holds it for inspection (Pub/Sub drops dead letters without one).

data "google_project" "this" {}

locals {
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_service_account" "pipeline" {
  account_id   = "coinpulse-pipeline"
  display_name = "CoinPulse Beam pipeline (Dataflow workers)"
}

resource "google_pubsub_topic" "undeliverable" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption; customer-supplied or -managed keys would add a KMS key ring, its rotation and its cost for market data that is public.
  name   = "${var.subscription_name}-undeliverable"
  labels = var.labels
}

resource "google_pubsub_subscription" "undeliverable" {
  name                       = "${var.subscription_name}-undeliverable"
  topic                      = google_pubsub_topic.undeliverable.id
  message_retention_duration = var.message_retention
  labels                     = var.labels

  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_subscription" "pipeline" {
  name                       = var.subscription_name
  topic                      = var.topic_id
  ack_deadline_seconds       = 60
  message_retention_duration = var.message_retention
  labels                     = var.labels

  expiration_policy {
    ttl = ""
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.undeliverable.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }
}

resource "google_pubsub_subscription_iam_member" "pipeline_reads_trades" {
  for_each     = toset(["roles/pubsub.subscriber", "roles/pubsub.viewer"])
  subscription = google_pubsub_subscription.pipeline.id
  role         = each.value
  member       = google_service_account.pipeline.member
}

# Dead-lettering: Pub/Sub's service agent forwards from the subscription to the topic.
resource "google_pubsub_topic_iam_member" "agent_publishes_undeliverable" {
  topic  = google_pubsub_topic.undeliverable.id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "agent_acknowledges_forwarded" {
  subscription = google_pubsub_subscription.pipeline.id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# Windows, late trades and dead letters are written as create-only objects; Beam's
# file sink also writes and deletes temporary objects, hence objectUser.
resource "google_storage_bucket_iam_member" "pipeline_writes_the_lake" {
  bucket = var.lake_bucket
  role   = "roles/storage.objectUser"
  member = google_service_account.pipeline.member
}

# Staging, temp files and the template spec.
resource "google_storage_bucket_iam_member" "pipeline_uses_its_bucket" {
  bucket = var.dataflow_bucket
  role   = "roles/storage.objectUser"
  member = google_service_account.pipeline.member
}

resource "google_artifact_registry_repository_iam_member" "pipeline_pulls_its_image" {
  location   = var.region
  repository = var.repository
  role       = "roles/artifactregistry.reader"
  member     = google_service_account.pipeline.member
}

# Dataflow's worker role exists only at project level (it lets a VM report work items
# of this project's jobs).
resource "google_project_iam_member" "pipeline_is_a_dataflow_worker" {
  project = data.google_project.this.project_id
  role    = "roles/dataflow.worker"
  member  = google_service_account.pipeline.member
}
