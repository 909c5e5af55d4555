#!/usr/bin/env bash
# `make tf-validate`: terraform init -backend=false and terraform validate of terraform/
# with the real google provider, at the version terraform/versions.tf pins.
#
# Where the Terraform registry answers, that is all. Where it does not (a machine that
# reaches only package registries), the provider is built from its Go source once
# (scripts/terraform-mirror.sh, reused afterwards) and the configuration is validated in
# a scratch copy under STATE_DIR, initialized from that filesystem mirror alone: the
# copy's lock file records the local build's hash, so terraform/.terraform.lock.hcl,
# which records the release's hashes, is neither read nor changed.
#
#   scripts/terraform-validate.sh [STATE_DIR]   (default .coinpulse/terraform)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=$(mkdir -p "${1:-$root/.coinpulse/terraform}" && cd "${1:-$root/.coinpulse/terraform}" && pwd)

if curl -sf -m 5 -o /dev/null https://registry.terraform.io/.well-known/terraform.json; then
  terraform -chdir="$root/terraform" init -backend=false -input=false >/dev/null
  exec terraform -chdir="$root/terraform" validate
fi

"$root/scripts/terraform-mirror.sh" "$state/mirror" "$state/cli.tfrc"
export TF_CLI_CONFIG_FILE="$state/cli.tfrc"

# The configuration reads ../coinpulse/schemas/*.json and ../dist/functions/*.zip.
work="$state/work"
rm -rf "$work/terraform" "$work/coinpulse"
mkdir -p "$work/coinpulse"
(cd "$root/terraform" && tar --exclude=.terraform --exclude=.terraform.lock.hcl -cf - .) |
  (mkdir -p "$work/terraform" && cd "$work/terraform" && tar -xf -)
cp -r "$root/coinpulse/schemas" "$work/coinpulse/schemas"
terraform -chdir="$work/terraform" init -backend=false -input=false >/dev/null
terraform -chdir="$work/terraform" validate
