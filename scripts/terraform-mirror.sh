#!/usr/bin/env bash
# Builds the Google provider that terraform/versions.tf pins from its Go source, once,
# into a filesystem mirror, and writes a Terraform CLI config that installs providers
# from that mirror only. Used by `make tf-validate` where the Terraform registry cannot
# be reached; the Go module proxy serves the provider's source.
#
#   scripts/terraform-mirror.sh MIRROR_DIR CLI_CONFIG
#
# Idempotent: an existing binary in the mirror is reused. The build is reproducible
# (-trimpath, no VCS stamp, the local Go toolchain), so the h1 hash that
# terraform/.terraform.lock.hcl records for it is the same on every machine with the
# same Go release. Fails if Go is missing or the module proxy does not serve the source.
set -euo pipefail

mkdir -p "${1:?mirror directory}"
mirror=$(cd "$1" && pwd)
cli_config=${2:?CLI config path}

# The provider release that terraform/versions.tf pins, and the source it is built
# from: the module proxy serves the provider's commits as pseudo-versions (its v8 tags
# lack a /v8 module path); this is the commit of 2026-08-28, on the 8.0.0 release line
# (CHANGELOG.md at that commit: "## 8.0.0 (August 26, 2026)").
version=8.0.0
module=github.com/hashicorp/terraform-provider-google
source_version=v1.20.1-0.20260828184646-f3721fb45fa3

if ! command -v go >/dev/null; then
  echo "terraform-mirror: Go is needed to build the provider (its go.mod asks for Go 1.26); none on PATH" >&2
  exit 2
fi

platform=$(go env GOOS)_$(go env GOARCH)
target_dir="$mirror/registry.terraform.io/hashicorp/google/$version/$platform"
binary="$target_dir/terraform-provider-google_v$version"

if [[ ! -x "$binary" ]]; then
  export GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:--p=1} -buildvcs=false"
  echo "building $module $version from source into $target_dir (once; slow)" >&2
  source_dir=$(go mod download -json "$module@$source_version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  mkdir -p "$target_dir"
  (cd "$source_dir" && go build -trimpath \
    -ldflags "-s -w -X $module/version.ProviderVersion=$version" \
    -o "$binary.partial" .)
  mv "$binary.partial" "$binary"
fi

mkdir -p "$(dirname "$cli_config")"
cat >"$cli_config" <<CONFIG
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
CONFIG
