# Shared steps of scripts/serve and scripts/test; sourced, not run.
# Expects the caller to have cd'ed to the repository root and set -euo pipefail.

MIN_PYTHON="3.11"

die() {
    echo "error: $*" >&2
    exit 1
}

check_python() {
    # $1: interpreter to check. Fails with a clear message when it is missing or too old.
    local python="$1"
    command -v "$python" >/dev/null 2>&1 || die "$python not found; install Python >= $MIN_PYTHON or set PYTHON=/path/to/python3.11"
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "$("$python" -V 2>&1) is too old: outreach needs Python >= $MIN_PYTHON (set PYTHON=/path/to/python3.11)"
}

ensure_venv() {
    # $1: the extras to install, e.g. "postgres" or "postgres,dev".
    local extras="$1"
    if [[ ! -x .venv/bin/python ]]; then
        local python="${PYTHON:-python3}"
        check_python "$python"
        echo "Creating .venv with $("$python" -V 2>&1)"
        "$python" -m venv .venv
    fi
    check_python .venv/bin/python
    # Reinstall only when pyproject.toml changed since the last install of these extras.
    local stamp=".venv/.installed-${extras//,/-}"
    if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
        echo "Installing outreach[$extras] into .venv"
        .venv/bin/python -m pip install --quiet -e ".[$extras]"
        touch "$stamp"
    fi
}

compile_translations() {
    # No catalogue yet is not an error (nothing to compile); a broken catalogue is.
    if ! compgen -G "outreach/translations/*/LC_MESSAGES/*.po" >/dev/null; then
        echo "No message catalogues in outreach/translations yet; skipping pybabel compile."
        return 0
    fi
    .venv/bin/pybabel compile --statistics -d outreach/translations
}
