#!/usr/bin/env bash
# Installs what the tests drive besides megatest itself: Megatest 1.65's QA areas run Ruby
# (fullrun's sqlitespeed), the sqlite3 shell and bc in their steps. Idempotent; run by
# .ci/run and by the README's test command. Needs root (or sudo) only when something is missing.
set -euo pipefail
missing=()
for program in ruby sqlite3 bc; do
  command -v "$program" >/dev/null 2>&1 || missing+=("$program")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "scripts/setup.sh: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || {
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
