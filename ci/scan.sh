#!/usr/bin/env bash
# One scan step for CI systems; the GitHub Action (action.yml) and the GitLab template
# (ci/stowaway.gitlab-ci.yml) both run it. Settings come from the environment:
#
#   STOWAWAY_IMAGE       an image in the local Docker engine: `docker save`d to a temporary tar
#                        and scanned (read from a file, not held in memory like stdin would be)
#   STOWAWAY_PATHS       other things to scan, space-separated (image tars, OCI layouts,
#                        Dockerfiles, directories)
#   STOWAWAY_DOCKERFILE  the Dockerfile the image was built from (findings point at its lines)
#   STOWAWAY_FORMAT      report format (default sarif)
#   STOWAWAY_OUTPUT      report file (default stowaway.sarif, or gl-secret-detection-report.json
#                        for gitlab, stowaway.xml for junit, stowaway.<format> otherwise)
#   STOWAWAY_FAIL_ON     fail-on threshold (default: .stowaway.toml's, else medium)
#   STOWAWAY_ARGS        more stowaway flags, space-separated (--baseline FILE, --platform …)
#   STOWAWAY_BIN         the stowaway to run (default: stowaway on PATH)
#
# The exit code is stowaway's (0 clean, 1 findings, 2 incomplete scan). On GitHub Actions the
# report path and exit code are also written to $GITHUB_OUTPUT as `report` and `exit-code`.
set -uo pipefail

bin=${STOWAWAY_BIN:-stowaway}
format=${STOWAWAY_FORMAT:-sarif}
case "$format" in
  sarif) default_output=stowaway.sarif ;;
  gitlab) default_output=gl-secret-detection-report.json ;;
  junit) default_output=stowaway.xml ;;
  *) default_output=stowaway.$format ;;
esac
output=${STOWAWAY_OUTPUT:-$default_output}

args=(scan --format "$format" --output "$output" --quiet)
[ -n "${STOWAWAY_DOCKERFILE:-}" ] && args+=(--dockerfile "$STOWAWAY_DOCKERFILE")
[ -n "${STOWAWAY_FAIL_ON:-}" ] && args+=(--fail-on "$STOWAWAY_FAIL_ON")
# shellcheck disable=SC2206 # word splitting is the documented contract of these two
[ -n "${STOWAWAY_ARGS:-}" ] && args+=($STOWAWAY_ARGS)
# shellcheck disable=SC2206
[ -n "${STOWAWAY_PATHS:-}" ] && args+=($STOWAWAY_PATHS)

tmp=""
if [ -n "${STOWAWAY_IMAGE:-}" ]; then
  tmp=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/stowaway.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  if ! docker save "$STOWAWAY_IMAGE" -o "$tmp/image.tar"; then
    echo "stowaway: docker save $STOWAWAY_IMAGE failed" >&2
    exit 2
  fi
  args+=("$tmp/image.tar")
fi

"$bin" "${args[@]}"
code=$?
echo "stowaway: exit $code, report in $output" >&2
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "report=$output"
    echo "exit-code=$code"
  } >>"$GITHUB_OUTPUT"
fi
exit "$code"
