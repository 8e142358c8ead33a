"""Write signals/data/<lang>/common_words.txt: the language's most frequent words, from wordfreq.

    pip install wordfreq && python scripts/make_common_words.py

A near miss of a short mark that spells a common word is that word ("logo" is not a typo of Lego, "bike" not of
Nike): screening reads these lists (language data) and never needs wordfreq itself. Re-run to refresh them.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from wordfreq import top_n_list

from klean.signals.text import fold

DATA = Path(__file__).resolve().parents[1] / "src" / "klean" / "signals" / "data"
# Latin-script languages (typos of Latin marks) and Korean (one-jamo near misses of Hangul marks).
LANGS = {"en": 25000, "id": 15000, "ms": 10000, "fil": 8000, "ko": 20000}

for lang, n in LANGS.items():
    words = set()
    for w in top_n_list(lang, n):
        folded = fold(w).compact
        if lang == "ko":
            if 2 <= len(folded) <= 5 and all("\uac00" <= ch <= "\ud7a3" for ch in folded):
                words.add(folded)
        elif len(folded) >= 4 and folded.isascii() and folded.isalpha():
            words.add(folded)
    out = DATA / lang / "common_words.txt"
    out.write_text(f"# The {n} most frequent {lang} words (wordfreq {version('wordfreq')}), folded; "
                   f"written by scripts/make_common_words.py\n" + "\n".join(sorted(words)) + "\n", "utf-8")
    print(f"{out}: {len(words)} words")
