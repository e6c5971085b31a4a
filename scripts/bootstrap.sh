#!/usr/bin/env bash
# Creates .venv with a Python >= 3.12 (Django 6 needs it) and installs the project with its
# development tools. Idempotent: does nothing when the virtualenv is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3 \
      /root/.pyenv/versions/3.13*/bin/python3 /root/.pyenv/versions/3.12*/bin/python3 \
      /usr/local/bin/python3.13 /usr/local/bin/python3.12; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ] || continue
    if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
  python=$(find_python) || {
    echo "Sprechzeit needs Python 3.12 or newer (Django 6). Install it (for example with pyenv) or set PYTHON=/path/to/python3.12." >&2
    exit 1
  }
  rm -rf .venv
  echo "Creating .venv with $("$python" --version)"
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi

stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "Installing Sprechzeit and its development tools into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
  touch "$stamp"
fi
