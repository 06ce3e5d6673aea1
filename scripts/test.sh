#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine, then runs lint, types and tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use as real peers: Nagios plugins for the command check, Dovecot
# for the IMAP checks (the tests start their own; the system service is not needed), and
# Chromium, which opens the HTML reports and prints the PDF ones.
DEBIAN_PACKAGES="monitoring-plugins-basic dovecot-imapd chromium"
missing=$(for p in $DEBIAN_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "warning: not root, so $missing cannot be installed; the tests that use them fail" >&2
  fi
fi

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'

ruff check src tests bench scripts
ruff format --check src tests bench scripts
mypy
python3 -m pytest "$@"
