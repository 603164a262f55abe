#!/usr/bin/env bash
# Build the deployable CloudFormation (SAM) template of a stage and lint it.
#
# Usage: scripts/package.sh [stage] [outdir]
#   stage   a stage of .chalice/config.json (default: dev)
#   outdir  where sam.json and deployment.zip go (default: build/package/<stage>)
#
# `chalice package` writes the template and the code bundle; infra/template.json is
# deep-merged into it (tables, queues, env vars, event source settings, gateway responses).
# cfn-lint then fails the build on errors (warnings are printed, not fatal).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stage="${1:-dev}"
outdir="${2:-$root/build/package/$stage}"
# chalice needs a region to render ARNs; the template itself stays region-free.
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

# Prefer the project's venv, so `make package` works without activating it.
bin_of() {
  if [[ -x "$root/.venv/bin/$1" ]]; then echo "$root/.venv/bin/$1"; else command -v "$1"; fi
}
chalice_bin="$(bin_of chalice)" || { echo "package.sh: chalice not found" >&2; exit 2; }
cfn_lint_bin="$(bin_of cfn-lint)" || { echo "package.sh: cfn-lint not found" >&2; exit 2; }

mkdir -p "$(dirname "$outdir")"
outdir="$(cd "$(dirname "$outdir")" && pwd)/$(basename "$outdir")"
# A stale template from an earlier run must never be linted or deployed by mistake.
rm -f "$outdir/sam.json" "$outdir/deployment.zip"

cd "$root"
"$chalice_bin" package --stage "$stage" --merge-template infra/template.json "$outdir"
"$cfn_lint_bin" --non-zero-exit-code error -- "$outdir/sam.json"

echo "Template: $outdir/sam.json"
echo "Bundle:   $outdir/deployment.zip ($(wc -c < "$outdir/deployment.zip" | tr -d ' ') bytes)"
