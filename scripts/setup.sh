#!/usr/bin/env bash
# Installs what the tests drive besides megatest itself, and the user they need. Megatest
# 1.65's QA areas run Ruby (fullrun's sqlitespeed), the sqlite3 shell and bc in their steps;
# the UTAH tests fetch with Breezy (brz) and git and run a case as another user through
# sudo, the user `utahtest` made here; the dashboard tests drive Debian's chromium through
# chromedriver; the JUnit test checks its file with xmllint; -archive saves with bup; the
# farm tests submit to a single-node Slurm, started here from the tested recipe in
# ../shared/recipes. Idempotent;
# run by .ci/run and by the README's test command. Needs root (or sudo) only when something
# is missing or not running.
set -euo pipefail
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
missing=()
for program in ruby sqlite3 bc brz git sudo chromium bup; do
  command -v "$program" >/dev/null 2>&1 || missing+=("$program")
done
# chromium's WebDriver is its own package; xmllint (the JUnit test's schema check) is in
# libxml2-utils.
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
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
# The recipe checks /proc/PID/comm of each daemon it backgrounds, and can look before the
# exec (the comm still reads nohup or bash): on a fresh machine, where each program's first
# load is slow, it then reports a daemon that is starting as dead. Loading the programs and
# their libraries first (each prints its version) narrows that window, and a second or
# third attempt gets past it.
for version in "nohup --version" "setpriv --version" "munged --version" "slurmctld -V" "slurmd -V"; do
  $version >/dev/null 2>&1 || true
done
attempt=1
until $sudo bash "$recipes/start-slurm.sh" >"$slurm_log" 2>&1; do
  if [ "$attempt" -ge 3 ]; then
    echo "scripts/setup.sh: Slurm did not start in $attempt attempts; the last log:" >&2
    cat "$slurm_log" >&2
    exit 1
  fi
  echo "scripts/setup.sh: Slurm did not start (attempt $attempt): $(grep -m1 ERROR "$slurm_log" || tail -n1 "$slurm_log"); trying again" >&2
  attempt=$((attempt + 1))
  sleep 1
done
# An sshd on two loopback addresses for the ssh-launcher tests; a no-op while it answers.
$sudo bash "$(dirname "$0")/start-sshd.sh"
