#!/bin/sh
# Debian packages the tests need: chromium, which Playwright drives (its own browser download is
# never used), qpdf, which checks the canvas PDFs, and nodejs with npm, which install the pinned
# axe-core of the accessibility tests (scripts/a11y). Installs whichever is missing.
set -eu
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v qpdf >/dev/null 2>&1 || missing="$missing qpdf"
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
[ -z "$missing" ] && exit 0
echo "installing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
# shellcheck disable=SC2086 # the package list is meant to split into words
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
[ -x /usr/bin/chromium ] && command -v qpdf >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || {
  echo "could not install:$missing" >&2
  exit 1
}
