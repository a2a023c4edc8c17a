# lhotse (PyPI) in a virtual environment, for the tests that load exports as ASR recipes would
# (sourced by the scripts, bash only).
#
#   source scripts/lib/lhotse.sh
#   ensure_lhotse .venv-lhotse      # creates the venv when missing; exports PARLOIR_TEST_LHOTSE_PYTHON
ensure_lhotse() {
    local venv="$1"
    if ! "$venv/bin/python" -c "import lhotse" >/dev/null 2>&1; then
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q lhotse urllib3
    fi
    PARLOIR_TEST_LHOTSE_PYTHON="$(cd "$venv" && pwd)/bin/python"
    export PARLOIR_TEST_LHOTSE_PYTHON
}
