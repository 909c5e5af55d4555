# Deploying: Cloud Build runs cloudbuild.yaml as its own service accounts, never the
# default Cloud Build account, and a CI outside Google Cloud (a GitHub workflow)
# reaches the deployer through Workload Identity Federation: no key exists.
#
#   coinpulse-deployer   applies this configuration and launches the Dataflow job: it
#                        creates every resource here, so its roles are project-level
#                        administration of exactly the services CoinPulse uses.
#   coinpulse-checks     pull-request builds: lint, tests, terraform plan; reads only.
#
# The triggers need the repository connected to Cloud Build once (the GitHub app's
# authorization happens on GitHub's side); without github_repository neither the
# triggers nor the federation exist.

locals {
  github           = var.github_repository == "" ? {} : { repository = var.github_repository }
  github_owner     = split("/", var.github_repository)[0]
  github_name      = try(split("/", var.github_repository)[1], "")
  terraform_bucket = "${var.bucket_prefix}-tfstate"
  deployer_roles = toset([
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
  ])
  checks_roles = toset([
    "roles/iam.securityReviewer",
    "roles/logging.logWriter",
    "roles/viewer",
  ])
}

resource "google_service_account" "deployer" {
  account_id   = "coinpulse-deployer"
  display_name = "CoinPulse deployer (Cloud Build on main, federated CI)"
}

resource "google_project_iam_member" "deployer" {
  #checkov:skip=CKV_GCP_41:The deployer creates the components' service accounts and deploys the services that run as them, so it must act as them; it is no component's runtime identity.
  #checkov:skip=CKV_GCP_49:Same: managing and acting as the service accounts it creates is the deployer's job (Cloud Build and federated CI only).
  for_each = local.deployer_roles
  project  = var.project_id
  role     = each.value
  member   = google_service_account.deployer.member
}

# The budget lives on the billing account.
resource "google_billing_account_iam_member" "deployer_manages_the_budget" {
  count              = var.billing_account == "" ? 0 : 1
  billing_account_id = var.billing_account
  role               = "roles/billing.costsManager"
  member             = google_service_account.deployer.member
}

# `coinpulse grafana publish` reads the Grafana token.
resource "google_secret_manager_secret_iam_member" "deployer_reads_grafana_token" {
  secret_id = google_secret_manager_secret.grafana_token.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.deployer.member
}

resource "google_service_account" "checks" {
  account_id   = "coinpulse-checks"
  display_name = "CoinPulse pull-request checks (Cloud Build)"
}

resource "google_project_iam_member" "checks" {
  #checkov:skip=CKV_GCP_117:terraform plan reads every resource type of this configuration; viewer is read-only, and pull-request builds get nothing that writes.
  for_each = local.checks_roles
  project  = var.project_id
  role     = each.value
  member   = google_service_account.checks.member
}

# terraform plan reads the state (the bucket `coinpulse deploy` creates before init).
resource "google_storage_bucket_iam_member" "checks_read_the_state" {
  bucket = local.terraform_bucket
  role   = "roles/storage.objectViewer"
  member = google_service_account.checks.member
}

resource "google_cloudbuild_trigger" "checks" {
  for_each        = local.github
  name            = "coinpulse-checks"
  description     = "Pull requests: lint, tests, dbt build, package, terraform plan."
  filename        = "cloudbuild.yaml"
  service_account = google_service_account.checks.id

  github {
    owner = local.github_owner
    name  = local.github_name
    pull_request {
      branch = "^main$"
    }
  }

  substitutions = {
    _REGION        = var.region
    _BUCKET_PREFIX = var.bucket_prefix
    _DEPLOY        = "false"
  }
}

resource "google_cloudbuild_trigger" "deploy" {
  for_each        = local.github
  name            = "coinpulse-deploy"
  description     = "Pushes to main: every check, then apply and deploy."
  filename        = "cloudbuild.yaml"
  service_account = google_service_account.deployer.id

  github {
    owner = local.github_owner
    name  = local.github_name
    push {
      branch = "^main$"
    }
  }

  substitutions = {
    _REGION        = var.region
    _BUCKET_PREFIX = var.bucket_prefix
    _DEPLOY        = "true"
  }
}

resource "google_iam_workload_identity_pool" "ci" {
  for_each                  = local.github
  workload_identity_pool_id = "coinpulse-ci"
  display_name              = "CoinPulse CI"
  description               = "CI outside Google Cloud, by federated identity."
}

resource "google_iam_workload_identity_pool_provider" "github" {
  #checkov:skip=CKV_GCP_125:The condition pins the sub claim to repo:OWNER/NAME:ref:refs/heads/main; checkov evaluates it with github_repository's empty default, for which no provider exists.
  for_each                           = local.github
  workload_identity_pool_id          = google_iam_workload_identity_pool.ci[each.key].workload_identity_pool_id
  workload_identity_pool_provider_id = "github"
  display_name                       = "GitHub Actions"
  # Only this repository's main branch may deploy.
  attribute_condition = "assertion.sub == 'repo:${var.github_repository}:ref:refs/heads/main'"
  attribute_mapping = {
    "google.subject"       = "assertion.sub"
    "attribute.repository" = "assertion.repository"
    "attribute.ref"        = "assertion.ref"
  }

  oidc {
    issuer_uri = "https://token.actions.githubusercontent.com"
  }
}

resource "google_service_account_iam_member" "ci_deploys" {
  for_each           = local.github
  service_account_id = google_service_account.deployer.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.ci[each.key].name}/attribute.repository/${var.github_repository}"
}
