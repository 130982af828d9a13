#!/usr/bin/env bash
# A font with Chinese characters for the pictures' labels (legends, palettes, the weekly summary):
# WenQuanYi Micro Hei from Debian (1.6 MB) when no CJK font is installed and apt can add one.
# Without it Chinese labels fall back to DejaVu Sans, which draws them as boxes.
set -uo pipefail
if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh file 2>/dev/null)" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei \
    || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        fonts-wqy-microhei)) >/dev/null 2>&1 \
    || echo "no CJK font could be installed: Chinese labels on pictures will show as boxes"
else
  echo "no CJK font found: install one (e.g. fonts-wqy-microhei) for Chinese labels on pictures"
fi
