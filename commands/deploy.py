"""``coinpulse deploy``: build, apply and deploy the whole system into a project.

The same sequence as cloudbuild.yaml's main-branch steps, from a laptop with the
user's gcloud credentials (docs/deploy.md), in this order:

1. ``make package``: every artifact under dist/, the functions' zips included;
2. the Terraform state bucket ``<bucket prefix>-tfstate``, unless it exists, and the
   variables file copied beside the state (Cloud Build plans with the same file);
3. ``terraform init`` on it; a first, targeted apply of what the images need (the
   APIs, the image repository, the Dataflow bucket): no-ops once they exist;
4. the relay, Flex Template and transform images, built by Cloud Build from dist/ and
   pushed with the tag; the Flex Template spec from the Beam image;
5. ``terraform apply`` of everything (the functions deploy from their zips, the relay
   and the transform job take the tagged images);
6. the streaming job from the template, updated in place when one runs;
7. one run of the transform job (dbt build --target prod), waited for;
8. ``coinpulse grafana publish`` with the token from Secret Manager.

Every step is idempotent: a rerun after a failure resumes. ``--dry-run`` prints every
command, in order, and runs none. Exit status: 0 deployed (or printed), 1 a step
failed, 2 bad settings.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from commands.deploy_steps import (
    TERRAFORM,
    Joined,
    Output,
    Step,
    StepFailed,
    execute,
    render,
    subprocess_runner,
)

ROOT = Path(__file__).resolve().parents[1]
METADATA = ROOT / "beam_pipeline" / "template" / "metadata.json"
STREAMING_JOB = "coinpulse-streaming"
GRAFANA_SECRET = "coinpulse-grafana-token"  # terraform/storage.tf
VARIABLES_OBJECT = "coinpulse/terraform.tfvars"  # beside the state; cloudbuild.yaml reads it
IMAGES = ("relay", "beam", "transform")  # dist/<name>, pushed as <repository>/<name>:<tag>
# What the images need before they can be pushed and the template spec written.
BOOTSTRAP = (
    "google_project_service.apis",
    "google_artifact_registry_repository.images",
    "google_storage_bucket.dataflow",
)
US_REGION = re.compile(r"^us-")  # Binance answers 451 from US regions (docs/relay.md)
EXAMPLES = """\
examples:
  coinpulse deploy --project my-project --region europe-west1 --dry-run
  coinpulse deploy --project my-project --region europe-west1 --tag "$(git rev-parse --short HEAD)"
  make deploy PROJECT=my-project REGION=europe-west1 DRY_RUN=1
"""


@dataclass(frozen=True)
class Settings:
    """What one deploy targets: the project, the region, the images' tag and names."""

    project: str
    region: str
    tag: str
    bucket_prefix: str
    var_file: str  # relative to terraform/
    repository: str
    grafana_url: str | None

    @property
    def state_bucket(self) -> str:
        return f"{self.bucket_prefix}-tfstate"

    def image(self, name: str) -> str:
        return f"{self.region}-docker.pkg.dev/{self.project}/{self.repository}/{name}:{self.tag}"

    @property
    def template(self) -> str:
        return f"gs://{self.bucket_prefix}-dataflow/templates/{STREAMING_JOB}-{self.tag}.json"

    def terraform_vars(self) -> tuple[str, ...]:
        return (
            f"-var-file={self.var_file}",
            f"-var=project_id={self.project}",
            f"-var=region={self.region}",
            f"-var=bucket_prefix={self.bucket_prefix}",
            f"-var=image_tag={self.tag}",
            f"-var=repository={self.repository}",
        )


def template_parameters() -> set[str]:
    """Names of the Flex Template's parameters (beam_pipeline/template/metadata.json)."""
    return {parameter["name"] for parameter in json.loads(METADATA.read_text())["parameters"]}


def plan(settings: Settings) -> list[Step]:
    """Every command of the deploy, in order."""
    s = settings
    project, region = f"--project={s.project}", f"--region={s.region}"
    apply = (*TERRAFORM, "apply", "-input=false", "-auto-approve", *s.terraform_vars())
    steps = [
        Step(("make", "package")),
        Step(
            (
                *("gcloud", "storage", "buckets", "create", f"gs://{s.state_bucket}", project),
                *(f"--location={s.region}", "--uniform-bucket-level-access"),
                "--public-access-prevention",
            ),
            unless=("gcloud", "storage", "buckets", "describe", f"gs://{s.state_bucket}", project),
        ),
        Step(
            (
                *("gcloud", "storage", "cp", f"terraform/{s.var_file}"),
                *(f"gs://{s.state_bucket}/{VARIABLES_OBJECT}", project),
            )
        ),
        Step(
            (
                *(*TERRAFORM, "init", "-input=false", "-reconfigure"),
                f"-backend-config=bucket={s.state_bucket}",
            )
        ),
        Step((*apply, *(f"-target={target}" for target in BOOTSTRAP))),
    ]
    for name in IMAGES:
        steps.append(
            Step(
                (
                    "gcloud",
                    "builds",
                    "submit",
                    f"dist/{name}",
                    project,
                    region,
                    "--tag",
                    s.image(name),
                )
            )
        )
    dataflow_bucket = Output("dataflow_bucket")
    steps += [
        Step(
            (
                *("gcloud", "dataflow", "flex-template", "build", s.template, project),
                *(f"--image={s.image('beam')}", "--sdk-language=PYTHON"),
                "--metadata-file=dist/beam/metadata.json",
            )
        ),
        Step(apply),
        Step(
            (
                *("gcloud", "dataflow", "flex-template", "run", STREAMING_JOB, project, region),
                f"--template-file-gcs-location={s.template}",
                *("--service-account-email", Output("pipeline_service_account")),
                Joined(("--staging-location=gs://", dataflow_bucket, "/staging")),
                Joined(("--temp-location=gs://", dataflow_bucket, "/tmp")),
                "--enable-streaming-engine",
                Joined(("--max-workers=", Output("dataflow_max_workers"))),
                Joined(("--worker-machine-type=", Output("dataflow_machine_type"))),
                Joined(
                    (
                        *("--parameters=subscription=", Output("pipeline_subscription")),
                        *(",output=gs://", Output("lake_bucket")),
                    )
                ),
            ),
            extend_when=(
                (
                    *("gcloud", "dataflow", "jobs", "list", project, region, "--status=active"),
                    *(f"--filter=name={STREAMING_JOB}", "--format=value(id)"),
                ),
                ("--update",),
            ),
        ),
        Step(
            ("gcloud", "run", "jobs", "execute", Output("transform_job"), project, region, "--wait")
        ),
        Step(
            (
                *("coinpulse", "grafana", "publish"),
                *(("--url", s.grafana_url) if s.grafana_url else ()),
            ),
            env_from={
                "GRAFANA_TOKEN": (
                    *("gcloud", "secrets", "versions", "access", "latest"),
                    *(f"--secret={GRAFANA_SECRET}", project),
                )
            },
        ),
    ]
    return steps


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__.split("\n\n", 1)[1] + "\n" + EXAMPLES
    add = parser.add_argument
    add("--project", required=True, help="Google Cloud project id")
    add("--region", required=True, help="region of everything; not a US region (Binance 451)")
    add("--tag", help="image tag (default: the commit, git rev-parse --short HEAD)")
    add("--bucket-prefix", help="bucket names are PREFIX-lake, ... (default: the project id)")
    add(
        "--var-file",
        default="terraform.tfvars",
        help="Terraform variables file, relative to terraform/ (default: %(default)s; "
        "copy terraform.tfvars.example)",
    )
    add(
        "--repository",
        default="coinpulse",
        help="Artifact Registry repository (default: %(default)s); the Dataflow worker type and "
        "count are Terraform variables (dataflow_machine_type, dataflow_max_workers)",
    )
    add("--grafana-url", help="Grafana URL for coinpulse grafana publish (default: its own)")
    add("--dry-run", action="store_true", help="print every command, in order, and run none")
    parser.set_defaults(handler=handle)


def current_commit() -> str:
    """The short sha of HEAD. Raises ValueError outside a git checkout."""
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise ValueError("no --tag and no git commit to tag the images with")
    return result.stdout.strip()


def settings_from(args: argparse.Namespace) -> Settings:
    """Checked settings. Raises ValueError."""
    if not args.project or not args.region:
        raise ValueError("--project and --region are required (make deploy PROJECT=... REGION=...)")
    if US_REGION.match(args.region):
        raise ValueError(
            f"--region {args.region}: Binance answers 451 from US regions; use e.g. europe-west1"
        )
    if not {"subscription", "output"} <= template_parameters():
        raise ValueError(f"{METADATA} lacks the subscription and output parameters")
    return Settings(
        project=args.project,
        region=args.region,
        tag=args.tag or current_commit(),
        bucket_prefix=args.bucket_prefix or args.project,
        var_file=args.var_file,
        repository=args.repository,
        grafana_url=args.grafana_url,
    )


def handle(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
    except ValueError as error:
        print(f"coinpulse deploy: {error}", file=sys.stderr)
        return 2
    steps = plan(settings)
    if args.dry_run:
        for step in steps:
            print(render(step))
        return 0
    try:
        execute(steps, subprocess_runner, echo=lambda line: print(line, file=sys.stderr))
    except StepFailed as error:
        print(
            f"coinpulse deploy: {error}; fix it and rerun (every step is idempotent)",
            file=sys.stderr,
        )
        return 1
    return 0
