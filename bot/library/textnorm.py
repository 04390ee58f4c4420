"""French text normalisation for search: accent folding, tokens, stop words, a light stemmer.

SQLite's FTS5 has no French stemmer (its ``porter`` tokenizer is English-only), so the
library stems French words itself before they reach FTS5, and stems the query the same way.
The stemmer is deliberately light (in the spirit of Savoy's French "light" stemmer used by
Lucene): it conflates plural/singular, masculine/feminine and the common derivations
("accompagnement", "accompagner", "accompagnateur"), which is what people search by, and
it never needs a dictionary. PostgreSQL uses its own Snowball ``french`` configuration.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "’": "'"})
# Letters and digits of any script; the underscore is a word character for `re` but not for us.
_TOKEN = re.compile(r"[^\W_]+")

_STOP_WORDS_TEXT = """
    a ai au aux avec c ce ces cet cette d dans de des du elle elles en et eu eux il ils
    j je l la le les leur leurs lui m ma mais me meme mes moi mon n ne ni nos notre nous
    on ou par pas pour qu que quel quelle quels qui s sa sans se ses si son sur t ta te tes
    toi ton tu un une vos votre vous y est sont etre ete avoir ont fait plus tout tous
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

# Derivational suffixes, longest first; the remaining stem keeps at least four characters.
_SUFFIXES = (
    "issements",
    "issement",
    "isations",
    "isation",
    "atrices",
    "atrice",
    "ateurs",
    "ateur",
    "ations",
    "ation",
    "itions",
    "ition",
    "ements",
    "ement",
    "ments",
    "ment",
    "iques",
    "ique",
    "ismes",
    "isme",
    "istes",
    "iste",
    "ables",
    "able",
    "ibles",
    "ible",
    "euses",
    "euse",
    "eurs",
    "eur",
    "ites",
    "ite",
    "aire",
    "ives",
    "ive",
    "if",
    "ions",
    "ion",
)


# Combining marks left by NFKD decomposition (accents, cedillas, tildes...).
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Lower case without accents or ligatures: "Écrivain Œuvre" -> "ecrivain oeuvre"."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return _COMBINING.sub("", decomposed).lower()


def tokens(text: str) -> list[str]:
    """Folded word tokens, apostrophes and hyphens split ("l'accès" -> ["l", "acces"])."""
    return _TOKEN.findall(fold(text))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Light French stem of one folded token (see module docstring)."""
    w = word
    if len(w) <= 3 or not w.isalpha():
        return w
    # Plural.
    if w.endswith("eaux"):
        w = w[:-1]
    elif w.endswith("aux") and len(w) > 4:
        w = w[:-3] + "al"
    elif (w.endswith("x") and w[-2] == "u") or (w.endswith("s") and not w.endswith("ss")):
        w = w[:-1]
    # Derivation.
    derived = False
    for suffix in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: -len(suffix)]
            derived = True
            break
    # Infinitives ("former"), unless a suffix already went ("numerique" -> "numer").
    if not derived and len(w) > 4 and w.endswith("er"):
        w = w[:-2]
    # Feminine and past participles: "forme", "formee".
    while len(w) > 4 and w.endswith("e"):
        w = w[:-1]
    # "personnell" (from "personnelle") -> "personnel".
    if len(w) > 4 and w[-1] == w[-2]:
        w = w[:-1]
    return w


def search_terms(text: str) -> list[str]:
    """Stems of the meaningful words of ``text``, in order, stop words removed."""
    return [stem(t) for t in tokens(text) if t not in STOP_WORDS]


def index_text(text: str) -> str:
    """What FTS5 stores for ``text``: its stems separated by spaces."""
    return " ".join(search_terms(text))


def unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
