#!/bin/sh
# Install secxfer from this offline kit (Linux x86-64, Python 3.11-3.13). No network.
#   sh install.sh [--venv DIR]        (default DIR: ~/.local/share/secxfer-venv)
# Set PYTHON=/path/to/python3.x to choose the interpreter.
set -eu
kit=$(cd "$(dirname "$0")" && pwd)
cd "$kit"
# Check every file before running anything from the kit (install.py checks again).
if command -v sha256sum >/dev/null 2>&1; then
  if ! sha256sum --check --strict --quiet SHA256SUMS; then
    echo "secxfer kit: ERROR: files differ from SHA256SUMS; nothing was installed" >&2
    exit 3
  fi
fi
if [ -z "${PYTHON:-}" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null; then
      PYTHON=$candidate
      break
    fi
  done
fi
if [ -z "${PYTHON:-}" ]; then
  echo "secxfer kit: ERROR: no Python 3.11, 3.12 or 3.13 found; install one or set PYTHON" >&2
  exit 2
fi
exec "$PYTHON" "$kit/install.py" "$@"
