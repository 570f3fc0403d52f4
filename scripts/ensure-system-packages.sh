#!/bin/sh
# Debian packages the tests need: chromium, which Playwright drives (its own browser download is
# never used), and qpdf, which checks the canvas PDFs. Installs whichever is missing.
set -eu
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v qpdf >/dev/null 2>&1 || missing="$missing qpdf"
[ -z "$missing" ] && exit 0
echo "installing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
# shellcheck disable=SC2086 # the package list is meant to split into words
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
[ -x /usr/bin/chromium ] && command -v qpdf >/dev/null 2>&1 || {
  echo "could not install:$missing" >&2
  exit 1
}
