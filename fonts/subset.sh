#!/usr/bin/env bash
# Makes the embedded fonts in fonts/ from Debian's font packages, reproducibly:
# the same package versions (fonts-noto-core 20201225-1, fonts-noto-cjk
# 1:20220127+repack1-1) and the same fonttools version give the same bytes.
#   fonts/subset.sh VENV_DIR     (the Makefile calls it as `make fonts`)
#
# Why subsets: the small fonts go through fontdue, which outlines every glyph
# of a font when it loads, in every wasm VM (~3 µs and ~3 KB a glyph); the CJK
# font is outlined lazily per glyph, but its bytes are in every VM's memory.
# Every glyph we do not need costs start-up time, memory or both.
#
# Only what the initials rules can draw is kept: letters of each script (their
# upper-case forms where the script has case), combining marks for Latin,
# Greek and Cyrillic. No layout tables: the renderer does no shaping (Arabic
# letters are drawn in the isolated form the cmap gives, Brahmic initials are
# a single base letter).
set -euo pipefail
# Reproducible bytes: keep each source font's head.modified
# (--no-recalc-timestamp), and should anything in fonttools still stamp the
# time, pin it to the Debian package's date.
export SOURCE_DATE_EPOCH=1608854400
venv=${1:-venv}
here=$(cd "$(dirname "$0")" && pwd)
noto=/usr/share/fonts/truetype/noto
cjk=/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc

subset() { # source output unicodes [extra pyftsubset options...]
  local src=$1 out=$2 unicodes=$3
  shift 3
  "$venv/bin/pyftsubset" "$src" --output-file="$out" --unicodes="$unicodes" \
    --no-hinting --layout-features='' \
    --drop-tables+=DSIG,GSUB,GPOS,GDEF,kern,BASE,JSTF,MATH,VORG,vhea,vmtx \
    --notdef-outline --no-recalc-timestamp "$@"
}

# Latin (with Vietnamese, the IPA letters of African orthographies and the
# capitals of those in Latin Extended-C/D), Greek (with polytonic), Cyrillic,
# combining marks: Noto Sans Bold. Lower case stays: `initials=` is drawn as given.
subset "$noto/NotoSans-Bold.ttf" "$here/NotoSans-Bold.subset.ttf" \
  'U+0020-007E,U+00A0-036F,U+0370-03FF,U+0400-052F,U+1E00-1FFF,U+2010-2027,U+2C60-2C7F,U+A720-A7FF'

# One small font per script, each Noto Sans Bold so weights and proportions
# match; whole Unicode blocks, as they are small.
subset "$noto/NotoSansArmenian-Bold.ttf" "$here/NotoSansArmenian-Bold.subset.ttf" 'U+0531-058F'
subset "$noto/NotoSansGeorgian-Bold.ttf" "$here/NotoSansGeorgian-Bold.subset.ttf" \
  'U+10A0-10FF,U+1C90-1CBF,U+2D00-2D2F'
subset "$noto/NotoSansHebrew-Bold.ttf" "$here/NotoSansHebrew-Bold.subset.ttf" 'U+0590-05FF'
subset "$noto/NotoSansArabic-Bold.ttf" "$here/NotoSansArabic-Bold.subset.ttf" 'U+0600-06FF,U+0750-077F,U+08A0-08FF'
subset "$noto/NotoSansDevanagari-Bold.ttf" "$here/NotoSansDevanagari-Bold.subset.ttf" 'U+0900-097F'
subset "$noto/NotoSansBengali-Bold.ttf" "$here/NotoSansBengali-Bold.subset.ttf" 'U+0980-09FF'
subset "$noto/NotoSansTamil-Bold.ttf" "$here/NotoSansTamil-Bold.subset.ttf" 'U+0B80-0BFF'
subset "$noto/NotoSansThai-Bold.ttf" "$here/NotoSansThai-Bold.subset.ttf" 'U+0E00-0E7F'

# Han characters used in names: the ideographs of GB 2312 (levels 1 and 2),
# JIS X 0208 and Big5 (common and less-common sets), enumerated from Python's
# codecs so the lists are reproducible; NFC applied because the initials are
# NFC (Big5 maps two characters to compatibility ideographs).
"$venv/bin/python" - "$here" <<'EOF'
import sys, unicodedata
here = sys.argv[1]

def ideographs(codec, lead, trail, last=b"\xff\xff"):
    out = set()
    for a in lead:
        for b in trail:
            raw = bytes([a, b])
            if raw > last:
                continue
            try:
                s = raw.decode(codec)
            except UnicodeDecodeError:
                continue
            if len(s) == 1 and unicodedata.name(s, "").startswith("CJK"):
                out.add(unicodedata.normalize("NFC", s))
    return out

big5_trail = list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF))
sets = {
    # GB 2312 rows 16-55 (level 1) and 56-87 (level 2).
    "gb2312": ideographs("gb2312", range(0xB0, 0xF8), range(0xA1, 0xFF)),
    # JIS X 0208 rows 16-84, the kanji.
    "jisx0208": ideographs("euc_jp", range(0xB0, 0xF5), range(0xA1, 0xFF)),
    # Big5 A440-C67E (common) and C940-F9D5 (less common).
    "big5": ideographs("big5", range(0xA4, 0xC7), big5_trail, b"\xc6\x7e")
    | ideographs("big5", range(0xC9, 0xFA), big5_trail, b"\xf9\xd5"),
}
for name, chars in sets.items():
    with open(f"{here}/han-{name}.txt", "w", encoding="utf-8") as f:
        f.write("".join(sorted(chars)) + "\n")
    print(f"{name}: {len(chars)} ideographs")
EOF
cat "$here"/han-*.txt | tr -d '\n' > "$here/.han-all.txt"
# Noto Sans CJK SC (face 2 of the collection): Chinese glyph forms, the most
# common reading of a Han name. Hangul: all 11,172 syllables and the
# compatibility jamo; kana: hiragana, katakana and the phonetic extensions.
subset "$cjk" "$here/NotoSansCJKsc-Bold.subset.otf" \
  'U+3041-3096,U+30A1-30FA,U+31F0-31FF,U+3131-318E,U+AC00-D7A3' \
  --font-number=2 --text-file="$here/.han-all.txt"
rm -f "$here/.han-all.txt"

# The licences travel with the fonts: Debian's copyright files carry the full
# OFL-1.1 text. One file per font, named after it.
for f in "$here"/NotoSans*-Bold.subset.ttf; do
  cp /usr/share/doc/fonts-noto-core/copyright "${f%-Bold.subset.ttf}.LICENSE"
done
cp /usr/share/doc/fonts-noto-cjk/copyright "$here/NotoSansCJKsc.LICENSE"
ls -l "$here"
