"""Write signals/data/<lang>/common_words.txt: the language's most frequent words, from wordfreq.

    pip install wordfreq && python scripts/make_common_words.py

A near miss of a short mark that spells a common word is that word ("logo" is not a typo of Lego, "bike" not of
Nike): screening reads these lists (language data) and never needs wordfreq itself. Re-run to refresh them.
"""

from __future__ import annotations

import math
from importlib.metadata import version
from pathlib import Path

from wordfreq import get_frequency_dict

from klean.signals.text import fold

DATA = Path(__file__).resolve().parents[1] / "src" / "klean" / "signals" / "data"
# Latin-script languages (typos of Latin marks) and Korean (one-jamo near misses of Hangul marks), with the least
# Zipf frequency a word needs: listings are mostly Korean and English, so other languages' words must be very
# frequent to veto (Tagalog "bise" must not hide a misspelt Bose).
LANGS = {"en": (25000, 3.8), "ko": (20000, 3.8), "id": (15000, 4.5), "ms": (10000, 4.5), "fil": (8000, 4.6)}

for lang, (n, least) in LANGS.items():
    words = set()
    frequencies = get_frequency_dict(lang)  # read directly: no tokeniser (Korean's would need MeCab)
    for w, freq in sorted(frequencies.items(), key=lambda kv: -kv[1])[:n]:
        if math.log10(freq * 1e9) < least:
            break
        folded = fold(w).compact
        if lang == "ko":
            if 2 <= len(folded) <= 5 and all("\uac00" <= ch <= "\ud7a3" for ch in folded):
                words.add(folded)
        elif len(folded) >= 4 and folded.isascii() and folded.isalpha():
            words.add(folded)
    out = DATA / lang / "common_words.txt"
    out.write_text(f"# The most frequent {lang} words (Zipf >= {least}, wordfreq {version('wordfreq')}), folded; "
                   f"written by scripts/make_common_words.py\n" + "\n".join(sorted(words)) + "\n", "utf-8")
    print(f"{out}: {len(words)} words")
