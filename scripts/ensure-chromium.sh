#!/bin/sh
# The browser tests drive Debian's Chromium through Playwright; Playwright's own browser
# download is never used. Install the Debian package when it is missing.
set -eu
[ -x /usr/bin/chromium ] && exit 0
echo "Debian's chromium is missing: installing it with apt-get" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
[ -x /usr/bin/chromium ] || { echo "could not install chromium" >&2; exit 1; }
