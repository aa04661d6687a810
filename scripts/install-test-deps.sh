#!/usr/bin/env bash
# System packages the test suite needs beyond Python: Debian's chromium, for the test that opens
# report.html headless and checks for console errors and chart data (tests/test_report_browser.py).
# Run as root (CI runs it before the tests). Skips what is already installed.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "run as root (apt-get install needs it): sudo bash $0" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium
/usr/bin/chromium --version
