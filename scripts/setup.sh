#!/usr/bin/env bash
# Installs what the tests drive besides megatest itself, and the user they need. Megatest
# 1.65's QA areas run Ruby (fullrun's sqlitespeed), the sqlite3 shell and bc in their steps;
# the UTAH tests fetch with Breezy (brz) and git and run a case as another user through
# sudo, the user `utahtest` made here; the dashboard tests drive Debian's chromium through
# chromedriver; the farm tests submit to a single-node Slurm, started here from the tested
# recipe in ../shared/recipes. Idempotent; run by .ci/run and by the README's test
# command. Needs root (or sudo) only when something is missing or not running.
set -euo pipefail
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
missing=()
for program in ruby sqlite3 bc brz git sudo chromium; do
  command -v "$program" >/dev/null 2>&1 || missing+=("$program")
done
# chromium's WebDriver is its own package.
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
  echo "scripts/setup.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || {
    $sudo apt-get update -qq >/dev/null
    $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  }
fi
# The second user of the UTAH run_as test: no home, no login.
if ! id utahtest >/dev/null 2>&1; then
  echo "scripts/setup.sh: adding the user utahtest" >&2
  $sudo useradd --no-create-home --shell /usr/sbin/nologin utahtest
fi
# A single-node Slurm (slurmctld, slurmd, munged) for the farm tests; a no-op while it runs.
recipes="$(cd "$(dirname "$0")/.." && pwd)/../shared/recipes"
if [ ! -f "$recipes/start-slurm.sh" ]; then
  echo "scripts/setup.sh: $recipes/start-slurm.sh is missing (../shared must be beside the repository)" >&2
  exit 1
fi
slurm_log="${TMPDIR:-/tmp}/megatest-setup-slurm.log"
if ! $sudo bash "$recipes/start-slurm.sh" >"$slurm_log" 2>&1; then
  echo "scripts/setup.sh: Slurm did not start; its log:" >&2
  cat "$slurm_log" >&2
  exit 1
fi
# An sshd on two loopback addresses for the ssh-launcher tests; a no-op while it answers.
$sudo bash "$(dirname "$0")/start-sshd.sh"
