#!/usr/bin/env bash
# Makes the embedded fonts in fonts/ from Debian's font packages, reproducibly:
# the same package versions (fonts-noto-core and fonts-noto-extra 20201225-1,
# fonts-noto-cjk 1:20220127+repack1-1, poppler-data 0.4.12-1 for the
# Adobe-Japan1 character list) and the same fonttools version give the same
# bytes.
#   fonts/subset.sh VENV_DIR     (the Makefile calls it as `make fonts`)
#
# Why subsets: every font's bytes are in every wasm VM's memory (one VM per
# proxy worker), and the Latin font goes through fontdue, which outlines every
# glyph of a font when it loads (~3 µs and ~3 KB a glyph). Every glyph we do
# not need costs start-up time, memory or both.
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

# The letters (Unicode categories Lu, Ll, Lt, Lo: not modifier letters, marks,
# digits or signs) of the given code-point ranges, as pyftsubset's --unicodes:
#   letters 0A80-0AFF 0B00-0B7F  →  U+0A85,U+0A86,...
letters() {
  "$venv/bin/python" - "$@" <<'EOF'
import sys, unicodedata
out = []
for r in sys.argv[1:]:
    a, _, b = r.partition("-")
    for u in range(int(a, 16), int(b or a, 16) + 1):
        if unicodedata.category(chr(u)) in ("Lu", "Ll", "Lt", "Lo"):
            out.append(f"U+{u:04X}")
print(",".join(out))
EOF
}

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

# Every other living script: letters only, as an initial is one letter (a
# Brahmic or right-to-left initial its base letter alone, without vowel signs
# or points). Noto Sans Bold where Debian has it; where it has no Bold, the
# nearest weight: Syriac Black (fonts-noto-extra; Regular looks far lighter
# than the Latin Bold), N'Ko, Tifinagh and Mongolian Regular (their only
# weight). Noto has no Sans Tibetan: Noto Serif Tibetan Bold (Tibetan type
# has no sans-serif tradition; its letters are the same).
subset "$noto/NotoSansGujarati-Bold.ttf" "$here/NotoSansGujarati-Bold.subset.ttf" "$(letters 0A80-0AFF)"
subset "$noto/NotoSansGurmukhi-Bold.ttf" "$here/NotoSansGurmukhi-Bold.subset.ttf" "$(letters 0A00-0A7F)"
subset "$noto/NotoSansOriya-Bold.ttf" "$here/NotoSansOriya-Bold.subset.ttf" "$(letters 0B00-0B7F)"
subset "$noto/NotoSansTelugu-Bold.ttf" "$here/NotoSansTelugu-Bold.subset.ttf" "$(letters 0C00-0C7F)"
subset "$noto/NotoSansKannada-Bold.ttf" "$here/NotoSansKannada-Bold.subset.ttf" "$(letters 0C80-0CFF)"
subset "$noto/NotoSansMalayalam-Bold.ttf" "$here/NotoSansMalayalam-Bold.subset.ttf" "$(letters 0D00-0D7F)"
subset "$noto/NotoSansSinhala-Bold.ttf" "$here/NotoSansSinhala-Bold.subset.ttf" "$(letters 0D80-0DFF)"
subset "$noto/NotoSansLao-Bold.ttf" "$here/NotoSansLao-Bold.subset.ttf" "$(letters 0E80-0EFF)"
subset "$noto/NotoSerifTibetan-Bold.ttf" "$here/NotoSerifTibetan-Bold.subset.ttf" "$(letters 0F00-0FFF)"
# Myanmar with its Shan, Khamti and Aiton letters (Extended-A and -B).
subset "$noto/NotoSansMyanmar-Bold.ttf" "$here/NotoSansMyanmar-Bold.subset.ttf" \
  "$(letters 1000-109F AA60-AA7F A9E0-A9FF)"
subset "$noto/NotoSansKhmer-Bold.ttf" "$here/NotoSansKhmer-Bold.subset.ttf" "$(letters 1780-17FF)"
# Ethiopic: every syllable (Amharic, Tigrinya, Ge'ez, and the Extended blocks'
# Blin, Me'en and Gurage), and the three combining marks a syllable may carry.
subset "$noto/NotoSansEthiopic-Bold.ttf" "$here/NotoSansEthiopic-Bold.subset.ttf" \
  "$(letters 1200-139F 2D80-2DDF AB00-AB2F),U+135D-135F"
subset "$noto/NotoSansSyriac-Black.ttf" "$here/NotoSansSyriac-Black.subset.ttf" "$(letters 0700-074F)"
subset "$noto/NotoSansThaana-Bold.ttf" "$here/NotoSansThaana-Bold.subset.ttf" "$(letters 0780-07BF)"
subset "$noto/NotoSansNKo-Regular.ttf" "$here/NotoSansNKo-Regular.subset.ttf" "$(letters 07C0-07FF)"
subset "$noto/NotoSansAdlam-Bold.ttf" "$here/NotoSansAdlam-Bold.subset.ttf" "$(letters 1E900-1E95F)"
# Tifinagh with its consonant joiner, which a cluster may carry.
subset "$noto/NotoSansTifinagh-Regular.ttf" "$here/NotoSansTifinagh-Regular.subset.ttf" \
  "$(letters 2D30-2D7F),U+2D7F"
subset "$noto/NotoSansCherokee-Bold.ttf" "$here/NotoSansCherokee-Bold.subset.ttf" "$(letters 13A0-13FF AB70-ABBF)"
subset "$noto/NotoSansCanadianAboriginal-Bold.ttf" "$here/NotoSansCanadianAboriginal-Bold.subset.ttf" \
  "$(letters 1400-167F 18B0-18FF)"
subset "$noto/NotoSansOlChiki-Bold.ttf" "$here/NotoSansOlChiki-Bold.subset.ttf" "$(letters 1C50-1C7F)"
# Mongolian (with Todo, Manchu and Sibe letters): the nominal glyphs, which are
# the isolated forms, drawn for horizontal lines; src/fonts/table.rs turns them upright.
subset "$noto/NotoSansMongolian-Regular.ttf" "$here/NotoSansMongolian-Regular.subset.ttf" "$(letters 1800-18AF)"

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
# Extension B (the supplementary plane) in Japanese and Hong Kong names: the
# ideographs there of JIS X 0213 (planes 1 and 2), of HKSCS, and of
# Adobe-Japan1-7, the character set of Japanese fonts, which adds name
# characters JIS X 0213 lacks (𠮷 of 𠮷田, 𠮷野家).
def supplementary(codec, raws):
    out = set()
    for raw in raws:
        try:
            s = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if len(s) == 1 and 0x20000 <= ord(s) <= 0x2A6DF:
            out.add(s)
    return out

def adobe_japan1():
    import re
    cmap = open("/usr/share/poppler/cMap/Adobe-Japan1/UniJIS-UTF32-H", encoding="ascii").read()
    codes = [int(u, 16) for u in re.findall(r"^<([0-9a-f]{8})> \d+$", cmap, re.M)]
    for a, b in re.findall(r"^<([0-9a-f]{8})> <([0-9a-f]{8})> \d+$", cmap, re.M):
        codes.extend(range(int(a, 16), int(b, 16) + 1))
    return {chr(u) for u in codes if 0x20000 <= u <= 0x2A6DF}

rows = range(0xA1, 0xFF)
sets["jisx0213-extb"] = supplementary(
    "euc_jis_2004",
    [bytes([a, b]) for a in rows for b in rows] + [bytes([0x8F, a, b]) for a in rows for b in rows],
)
sets["hkscs-extb"] = supplementary(
    "big5hkscs", [bytes([a, b]) for a in range(0x81, 0xFF) for b in big5_trail]
)
sets["adobe-japan1-extb"] = adobe_japan1()
for name, chars in sets.items():
    with open(f"{here}/han-{name}.txt", "w", encoding="utf-8") as f:
        f.write("".join(sorted(chars)) + "\n")
    print(f"{name}: {len(chars)} ideographs")
EOF
cat "$here"/han-*.txt | tr -d '\n' > "$here/.han-all.txt"
# Noto Sans CJK SC (face 2 of the collection): Chinese glyph forms, the most
# common reading of a Han name (every face maps the same Extension B
# characters). Hangul: all 11,172 syllables and the
# compatibility jamo; kana: hiragana, katakana and the phonetic extensions.
subset "$cjk" "$here/NotoSansCJKsc-Bold.subset.otf" \
  'U+3041-3096,U+30A1-30FA,U+31F0-31FF,U+3131-318E,U+AC00-D7A3' \
  --font-number=2 --text-file="$here/.han-all.txt"
rm -f "$here/.han-all.txt"

# The licences travel with the fonts: Debian's copyright files carry the full
# OFL-1.1 text. One file per font, named after it.
for f in "$here"/Noto*.subset.ttf; do
  package=$(dpkg -S "$noto/$(basename "${f%.subset.ttf}").ttf" | cut -d: -f1)
  cp "/usr/share/doc/$package/copyright" "${f%-*.subset.ttf}.LICENSE"
done
cp /usr/share/doc/fonts-noto-cjk/copyright "$here/NotoSansCJKsc.LICENSE"
ls -l "$here"
