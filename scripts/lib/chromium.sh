# Headless Chromium and its WebDriver for Parloir's browser tests (sourced by the scripts, bash only).
#
#   source scripts/lib/chromium.sh
#   ensure_chromium          # installs Debian's chromium and chromium-driver if missing; exports:
#
#   PARLOIR_TEST_CHROMEDRIVER   the chromedriver binary (the tests start it on a free port)
#   PARLOIR_TEST_CHROMIUM       the chromium binary (the tests hand it to chromedriver)
#
# Then: swift test --skip-build --filter BrowserTests. Without PARLOIR_TEST_CHROMEDRIVER the
# browser tests say so and pass without a browser. Chromium runs headless with --no-sandbox: the
# test command runs as root in a container, where Chromium's sandbox cannot start.

# shellcheck source=system-packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/system-packages.sh"

ensure_chromium() {
    ensure_packages chromium chromium-driver || { echo "parloir: chromium: could not install chromium and chromium-driver" >&2; return 1; }
    local driver browser
    driver="$(command -v chromedriver || true)"
    [ -n "$driver" ] || driver=/usr/bin/chromedriver
    # /usr/bin/chromium is Debian's wrapper script (it reads /etc/chromium.d); the binary behind it
    # is what chromedriver starts, so that the wrapper's flags do not differ from the tests'.
    browser=/usr/lib/chromium/chromium
    [ -x "$browser" ] || browser="$(command -v chromium || true)"
    [ -x "$driver" ] || { echo "parloir: chromium: no chromedriver found" >&2; return 1; }
    [ -x "$browser" ] || { echo "parloir: chromium: no chromium binary found" >&2; return 1; }
    PARLOIR_TEST_CHROMEDRIVER="$driver"
    PARLOIR_TEST_CHROMIUM="$browser"
    export PARLOIR_TEST_CHROMEDRIVER PARLOIR_TEST_CHROMIUM
    echo "parloir: $("$browser" --version 2>/dev/null | head -n 1), $("$driver" --version 2>/dev/null | awk '{print $1, $2}')" >&2
}
