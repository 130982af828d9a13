#!/usr/bin/env bash
# Install what is needed and start stylebot on its embedded default models:
# the Telegram bot when STYLEBOT_TELEGRAM__TOKEN is set, else the web chat on 127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh text  # the MiniLM title search is part of the embedded default
bash scripts/install_fonts.sh  # Chinese labels on pictures
# The bundled models as the bot runs them (ONNX graphs exported once from the torch weights).
.venv/bin/stylebot prepare
# The shop's first index (the bundled demo catalogue), so it works from the first message;
# a no-op once there is one.
.venv/bin/stylebot catalog ensure || echo "shop index not built now: the bot builds it in the background"
exec .venv/bin/stylebot serve "$@"
