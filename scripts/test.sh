#!/usr/bin/env bash
# Install what is needed (Python packages, Debian's chromium for the browser test) and run the
# tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test,text
# llama.cpp's server for the LLM tests: compiled once (~13 min on 2 cores) into
# ~/.cache/stylebot/wheels, then installed from there in seconds
bash scripts/install_llm_server.sh || echo "llama-cpp-python could not be installed; the llama.cpp tests will be skipped"
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji) \
    >/dev/null 2>&1 || echo "chromium could not be installed; the browser test will be skipped"
fi
# Debian's PostgreSQL for the storage tests on both databases (a throwaway server per run)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) \
    >/dev/null 2>&1 || echo "postgresql could not be installed; the PostgreSQL tests will be skipped"
fi
bash scripts/install_fonts.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/python -m pytest -q "$@"
