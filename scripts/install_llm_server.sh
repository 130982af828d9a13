#!/usr/bin/env bash
# Installs llama.cpp's OpenAI-compatible server for Python (llama-cpp-python[server]) and gguf
# into .venv: the optional `conversation.llm: openai` backend can then be served locally with
#   .venv/bin/python -m llama_cpp.server --model model.gguf --port 8000
# and tests/inference/text/test_llm.py runs its llama.cpp tests (they are skipped without it).
# llama-cpp-python ships as source only: its wheel is compiled once (cmake, portable build, about
# 13 minutes on 2 cores) into a cache outside the repository and reused from there after.
#   STYLEBOT_WHEELS   the wheel cache (default ~/.cache/stylebot/wheels)
#   STYLEBOT_VENV     the virtual environment to install into (default .venv, made by setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=0.3.36
WHEELS=${STYLEBOT_WHEELS:-$HOME/.cache/stylebot/wheels}
VENV=${STYLEBOT_VENV:-.venv}
[ -x "$VENV/bin/python" ] || bash scripts/setup.sh
PY=$VENV/bin/python
if "$PY" - "$VERSION" <<'PY' 2>/dev/null; then exit 0; fi
import sys, importlib.metadata as m, llama_cpp.server, gguf  # noqa: F401
sys.exit(m.version("llama_cpp_python") != sys.argv[1])
PY
mkdir -p "$WHEELS"
exec 9>"$WHEELS/.lock"
flock 9  # two installs at once build one wheel
if ! compgen -G "$WHEELS/llama_cpp_python-$VERSION-*.whl" >/dev/null; then
  echo "building llama-cpp-python $VERSION once into $WHEELS (slow: it compiles llama.cpp)" >&2
  CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
    "$PY" -m pip wheel -q --wheel-dir "$WHEELS" "llama-cpp-python[server]==$VERSION"
fi
"$PY" -m pip install -q --find-links "$WHEELS" --only-binary llama-cpp-python \
  "llama-cpp-python[server]==$VERSION" "gguf>=0.10"
