#!/usr/bin/env bash
# Makes the embedded fonts in fonts/ from Debian's font packages, reproducibly:
# the same package versions and the same fonttools version give the same bytes.
#   fonts/subset.sh VENV_DIR     (the Makefile calls it as `make fonts`)
# Why subsets: fontdue outlines every glyph of a font when it loads, in every
# wasm VM (~3 µs and ~3 KB a glyph), so every glyph we do not need costs
# start-up time and memory in every Envoy worker.
set -euo pipefail
venv=${1:-venv}
here=$(cd "$(dirname "$0")" && pwd)
noto=/usr/share/fonts/truetype/noto

subset() { # source output unicodes
  "$venv/bin/pyftsubset" "$1" --output-file="$2" --unicodes="$3" \
    --no-hinting --desubroutinize --layout-features='' \
    --drop-tables+=DSIG,GSUB,GPOS,GDEF,kern --notdef-outline --recalc-timestamp=false
}

# Latin (with Vietnamese), Greek and Cyrillic: Noto Sans Bold.
subset "$noto/NotoSans-Bold.ttf" "$here/NotoSans-Bold.subset.ttf" \
  'U+0020-007E,U+00A0-024F,U+0300-036F,U+0370-03FF,U+0400-052F,U+1E00-1EFF,U+2010-2027'
# The licence travels with the font: Debian's copyright file carries the full OFL-1.1 text.
cp /usr/share/doc/fonts-noto-core/copyright "$here/NotoSans.LICENSE"
