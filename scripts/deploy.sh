#!/usr/bin/env bash
# Deploy a stage as the CloudFormation stack cleanups-<stage>: package, upload through S3, deploy.
#
# Usage: scripts/deploy.sh <stage> <bucket>
#   stage   a stage of .chalice/config.json with a policy file (.chalice/policy-<stage>.json)
#   bucket  an S3 bucket in the target region; the code bundle and the template go there
#
# Optional environment:
#   JWT_SECRET_PARAMETER   SSM SecureString with the JWT signing secret (default /cleanups/jwt-secret)
#   DOMAIN_NAME            custom domain the official clients call, e.g. *.cleanups.example.com
#   CERTIFICATE_ARN        ACM certificate (same region) covering DOMAIN_NAME; required with it
#   ALARM_ACTION_ARN       SNS topic (or other alarm action) notified by the stack's alarms
#   WEBHOOK_ALLOW_LOOPBACK 1 lets webhooks target loopback: for a stage under test on one machine only
#   ARCHIVE_TLS_ONLY       false drops the archive bucket's TLS-only policy: for an emulator serving plain http only
#   OUT                    where the package is built (default build/package/<stage>, as `make package`)
#   SKIP_PACKAGE=1         deploy $OUT/sam.json as it is (built by `make package`)
#
# The AWS CLI reads credentials, region and endpoint (AWS_ENDPOINT_URL) from the environment as
# usual; this script passes no endpoint of its own, so what runs against AWS runs against an emulator.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stage="${1:-}"
bucket="${2:-}"
die() { echo "deploy.sh: $*" >&2; exit 2; }

[[ -n "$stage" && -n "$bucket" ]] || die "usage: scripts/deploy.sh <stage> <bucket>  (make deploy STAGE=prod BUCKET=my-bucket)"
[[ -f "$root/.chalice/policy-$stage.json" ]] || die "no .chalice/policy-$stage.json: '$stage' is not a deployable stage"
# The policy file grants table/cleanups-<stage>-* and log-group /aws/lambda/cleanups-<stage>-*: any
# other stack name deploys fine and then fails every request with AccessDenied, so the name is fixed.
stack="cleanups-$stage"
[[ -z "${STACK_NAME:-}" || "${STACK_NAME}" == "$stack" ]] \
  || die "the stack of stage '$stage' must be named $stack (the IAM policy names its resources), not ${STACK_NAME}"
command -v aws >/dev/null || [[ -x "$root/.venv-tools/bin/aws" ]] \
  || die "the AWS CLI is not installed (pip install awscli, or AWS CLI v2)"
aws() { if [[ -x "$root/.venv-tools/bin/aws" ]]; then "$root/.venv-tools/bin/aws" "$@"; else command aws "$@"; fi; }

jwt_parameter="${JWT_SECRET_PARAMETER:-/cleanups/jwt-secret}"
if ! aws ssm get-parameter --name "$jwt_parameter" --query Parameter.Name --output text >/dev/null 2>&1; then
  cat >&2 <<EOF
deploy.sh: the SSM parameter $jwt_parameter does not exist (or cannot be read) in this account and region.
Without it the stack deploys and then every request fails with 500. Create it once:

  aws ssm put-parameter --name $jwt_parameter --type SecureString \\
    --value "\$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
EOF
  exit 3
fi
aws s3api head-bucket --bucket "$bucket" >/dev/null 2>&1 \
  || die "the bucket '$bucket' does not exist or is not yours: aws s3 mb s3://$bucket"

outdir="${OUT:-$root/build/package/$stage}"
if [[ "${SKIP_PACKAGE:-}" != "1" ]]; then
  bash "$root/scripts/package.sh" "$stage" "$outdir"
fi
[[ -f "$outdir/sam.json" ]] || die "no $outdir/sam.json: run make package STAGE=$stage"

overrides=("JwtSecretParameterName=$jwt_parameter")
if [[ -n "${DOMAIN_NAME:-}" ]]; then
  [[ -n "${CERTIFICATE_ARN:-}" ]] || die "DOMAIN_NAME needs CERTIFICATE_ARN (an ACM certificate for it, same region)"
  overrides+=("DomainName=$DOMAIN_NAME" "CertificateArn=$CERTIFICATE_ARN")
fi
[[ -z "${ALARM_ACTION_ARN:-}" ]] || overrides+=("AlarmActionArn=$ALARM_ACTION_ARN")
# Tests on one machine only: webhooks to loopback receivers.
[[ -z "${WEBHOOK_ALLOW_LOOPBACK:-}" ]] || overrides+=("WebhookAllowLoopback=$WEBHOOK_ALLOW_LOOPBACK")
[[ -z "${ARCHIVE_TLS_ONLY:-}" ]] || overrides+=("ArchiveTlsOnly=$ARCHIVE_TLS_ONLY")

# The bundle goes to S3 and CodeUri is rewritten to it; the template itself is over CloudFormation's
# 51,200-byte inline limit, so `deploy` uploads it to the same bucket too.
aws cloudformation package --template-file "$outdir/sam.json" --s3-bucket "$bucket" --s3-prefix "$stack" \
  --output-template-file "$outdir/packaged.yaml"
aws cloudformation deploy --template-file "$outdir/packaged.yaml" --stack-name "$stack" \
  --s3-bucket "$bucket" --s3-prefix "$stack" \
  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
  --parameter-overrides "${overrides[@]}"
aws cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].Outputs' --output table
