#!/usr/bin/env bash
# Debian's Chromium and its driver for the browser tests (tests/browser).
#
#   bash .ci/browsers.sh      # installs chromium + chromium-driver when missing
#
# Playwright's own browser download cannot work offline; Selenium drives the
# distribution's chromium through /usr/bin/chromedriver instead.  Without
# root the tests skip with the reason rather than failing.
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "browsers.sh: chromium/chromedriver missing and not root; browser tests will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -q -o DPkg::Lock::Timeout=300 update >&2
apt-get -q -y -o DPkg::Lock::Timeout=300 install --no-install-recommends chromium chromium-driver >&2
