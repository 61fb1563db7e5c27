#!/usr/bin/env python3
"""Makes the survey page's web fonts: WOFF2 subsets of Noto fonts (SIL OFL 1.1)
holding exactly the characters that a language's texts use, for the scripts
that phones or PCs may lack a font for (Ge'ez, Myanmar, Thai, and the Arabic
letters of Pashto and Urdu that common system fonts miss).

Writes static-site/fonts/*.woff2 and static-site/fonts/fonts.css, whose
@font-face rules carry a unicode-range of exactly the subset's characters: a
browser downloads a file only when such characters are on screen and no
local() font of that name is installed.

Run: make fonts   (needs fonttools and brotli: .venv/bin/pip install fonttools brotli)
The Noto fonts come from Debian's fonts-noto-core; when they are not installed
under NOTO_DIR, the package is fetched with `apt-get download` and unpacked in a
temporary directory (nothing is installed).
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "static-site"
OUT = SITE / "fonts"
QUESTION_TEXTS = ROOT / "shared/domain/surveys/brukerundersokelse/questionnaires/2026/i18n"
NOTO_DIR = Path(os.environ.get("NOTO_DIR", "/usr/share/fonts/truetype/noto"))

# The system fonts of app.css; our faces go before them in the font stacks.
SYSTEM_STACK = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif'

# Unicode blocks of each script (inclusive ranges), and the format characters
# (ZWNJ, ZWJ) that take part in shaping inside those scripts.
BLOCKS = {
    "Ethiopic": [(0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F)],
    "Myanmar": [(0x1000, 0x109F), (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F)],
    "Thai": [(0x0E00, 0x0E7F)],
    "Arabic": [(0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)],
}
JOINERS = {0x200C, 0x200D}
# Characters that the shaper (HarfBuzz) splits before looking glyphs up: Thai
# SARA AM is drawn as NIKHAHIT + SARA AA, so those must be in the subset too.
DECOMPOSED = {0x0E33: (0x0E4D, 0x0E32)}

# Language -> (script, Noto source file, local() names tried before the download).
# The faces come first in the font stacks: their unicode-range keeps them to
# their own letters, a whole word comes from one font (so Arabic letters join;
# DejaVu Sans, for one, lacks Pashto's ۍ and Urdu's ہ ے ۔), and Chromium
# redraws text once a face has loaded (behind a system font it kept the boxes).
LANGUAGES = {
    "ti": ("Ethiopic", "NotoSansEthiopic-Regular.ttf", ["Noto Sans Ethiopic", "NotoSansEthiopic-Regular", "Kefa", "Ebrima"]),
    "am": ("Ethiopic", "NotoSansEthiopic-Regular.ttf", ["Noto Sans Ethiopic", "NotoSansEthiopic-Regular", "Kefa", "Ebrima"]),
    "my": ("Myanmar", "NotoSansMyanmar-Regular.ttf", ["Noto Sans Myanmar", "NotoSansMyanmar-Regular", "Myanmar Sangam MN", "Myanmar Text"]),
    "th": ("Thai", "NotoSansThai-Regular.ttf", ["Noto Sans Thai", "NotoSansThai-Regular", "Thonburi", "Leelawadee UI"]),
    "ps": ("Arabic", "NotoSansArabic-Regular.ttf", ["Noto Sans Arabic", "NotoSansArabic-Regular", "Noto Naskh Arabic", "NotoNaskhArabic-Regular"]),
    "ur": ("Arabic", "NotoNastaliqUrdu-Regular.ttf", ["Noto Nastaliq Urdu", "NotoNastaliqUrdu-Regular", "Noto Nastaliq Urdu UI"]),
}
# Nastaliq stacks letters diagonally and needs more room between lines.
LINE_HEIGHT = {"ur": 2.2}
# The language picker shows every native name in every language: these scripts'
# names get a tiny subset of their own, so that the picker never loads a whole
# language's font.
NAME_SCRIPTS = ["Ethiopic", "Myanmar", "Thai"]


def in_script(cp, script):
    return any(lo <= cp <= hi for lo, hi in BLOCKS[script])


def native_names():
    return {l["code"]: l["native_name"] for l in json.loads((SITE / "i18n/languages.json").read_text("utf-8"))}


def language_text(lang):
    """Every string a participant can see in lang: UI strings, question texts, the native name."""
    parts = [native_names()[lang]]
    for path in (SITE / f"i18n/{lang}.json", QUESTION_TEXTS / f"{lang}.json"):
        parts.extend(str(v) for v in json.loads(path.read_text("utf-8"))["strings"].values())
    return "".join(parts)


def wanted(text, script, font):
    """The code points of text in script (and the joiners), which the font must map."""
    cmap = font.getBestCmap()
    cps = {ord(c) for c in text if in_script(ord(c), script)}
    cps |= {part for cp in cps for part in DECOMPOSED.get(cp, ())}
    missing = sorted(cp for cp in cps if cp not in cmap)
    if missing:
        sys.exit(f"{font.reader.file.name} lacks {' '.join(f'U+{cp:04X}' for cp in missing)}")
    return sorted(cps | {cp for cp in JOINERS if chr(cp) in text and cp in cmap})


def unicode_range(cps):
    """A compact unicode-range: runs of consecutive code points as U+A-B."""
    runs, start, prev = [], None, None
    for cp in cps:
        if start is None:
            start = prev = cp
        elif cp == prev + 1:
            prev = cp
        else:
            runs.append((start, prev))
            start = prev = cp
    runs.append((start, prev))
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in runs)


def make_subset(source, cps, out):
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]  # shaping (Myanmar, Arabic joining, Thai marks) needs them all
    options.name_IDs = ["*"]  # keeps the copyright and licence notices
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = True
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=cps)
    subsetter.subset(font)
    subset.save_font(font, str(out), options)


def face(family, local_names, url, cps):
    srcs = ", ".join([f'local("{n}")' for n in local_names] + [f'url("{url}") format("woff2")'])
    return (f'@font-face {{ font-family: "{family}"; font-display: swap; src: {srcs};\n'
            f'  unicode-range: {unicode_range(cps)}; }}\n')


def noto_dir():
    if (NOTO_DIR / "NotoSansEthiopic-Regular.ttf").exists():
        return NOTO_DIR
    tmp = Path(tempfile.mkdtemp(prefix="noto-"))
    print("==> Fetching Debian's fonts-noto-core (unpacked, not installed)")
    subprocess.run(["apt-get", "download", "fonts-noto-core"], cwd=tmp, check=True)
    deb = next(tmp.glob("fonts-noto-core_*.deb"))
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp / "x")], check=True)
    return tmp / "x/usr/share/fonts/truetype/noto"


def main():
    src = noto_dir()
    OUT.mkdir(exist_ok=True)
    css = ["/* Generated by shared/fonts/subset-fonts.py (make fonts); do not edit. Fonts: Noto, SIL OFL 1.1 (OFL.txt). */\n"]
    names_text = "".join(native_names().values())
    name_family = {}
    for script in NAME_SCRIPTS:
        file = next(f for s, f, _ in LANGUAGES.values() if s == script)
        local_names = next(n for s, _, n in LANGUAGES.values() if s == script)
        cps = wanted(names_text, script, TTFont(src / file))
        out = f"names-{script.lower()}.woff2"
        make_subset(src / file, cps, OUT / out)
        name_family[script] = f"Survey names {script}"
        css.append(face(name_family[script], local_names, out, cps))
    names_stack = ", ".join(f'"{f}"' for f in name_family.values())
    for lang, (script, file, local_names) in LANGUAGES.items():
        cps = wanted(language_text(lang), script, TTFont(src / file))
        make_subset(src / file, cps, OUT / f"{lang}.woff2")
        css.append(face(f"Survey {lang}", local_names, f"{lang}.woff2", cps))
    css.append(f"\n/* The language names carry their own lang: they use the names' subsets only. */\n"
               f"body, .lang-name {{ font-family: {names_stack}, {SYSTEM_STACK}; }}\n")
    for lang in LANGUAGES:
        css.append(f'html[lang="{lang}"] body {{ font-family: "Survey {lang}", {names_stack}, {SYSTEM_STACK}; }}\n')
    for lang, height in LINE_HEIGHT.items():
        css.append(f'html[lang="{lang}"] :is(body, h1, .section, .progress p) {{ line-height: {height}; }}\n')
    (OUT / "fonts.css").write_text("".join(css), "utf-8")
    for f in sorted(OUT.glob("*.woff2")):
        print(f"{f.relative_to(ROOT)}: {f.stat().st_size} bytes")


if __name__ == "__main__":
    main()
