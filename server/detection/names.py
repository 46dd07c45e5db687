"""Normal forms of Indonesian names and document numbers, and name blocking keys.

Two records of one person rarely spell the name alike: officers write
"Muhamad" or "Mohammad", add or drop "binti Ahmad", keep the old spelling
("Djoko", "Soekarno").  Matching compares the normal form; blocking keys
pick the few stored persons worth comparing out of a million.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import combinations

import jellyfish

# Patronymic links and titles: they say nothing about who the person is.
_DROPPED = frozenset(
    {
        "h", "hj", "haji", "hajah", "hajjah",
        "ibu", "bu", "bapak", "pak", "sdr", "sdri", "saudara", "saudari", "tn", "ny", "nn",
    }
)  # fmt: skip

# "bin"/"binti" (son/daughter of) start the father's name, which one record
# may give and another leave out.
_PATRONYMIC = frozenset({"bin", "binti", "bte", "bt", "bti", "bn"})

# Common spelling variants of one given name, written the same way.
_VARIANTS = {
    **dict.fromkeys(
        (
            "muhamad", "mohammad", "mohamad", "mohammed", "muhammed", "muhamed", "mochammad",
            "mochamad", "mokhamad", "muchammad", "muchamad", "mohamed", "moh", "muh", "mhd",
            "md", "mohd", "muhd",
        ),
        "muhammad",
    ),
    **dict.fromkeys(("achmad", "akhmad", "ahmat", "achmat"), "ahmad"),
    **dict.fromkeys(("abd", "abdoel"), "abdul"),
    **dict.fromkeys(("sitti", "siti"), "siti"),
    **dict.fromkeys(("noor", "nor", "nurul"), "nur"),
}  # fmt: skip

# Pre-1972 spelling, still common in names: dj→j, tj→c, oe→u, ch→kh, j→y before a vowel
# is left alone (it would merge too many distinct names).
_OLD_SPELLING = (("dj", "j"), ("tj", "c"), ("oe", "u"), ("sj", "sy"), ("nj", "ny"))


_WORD = re.compile(r"[a-z0-9]+")


def _ascii_words(text: str) -> list[str]:
    """Lower-case ASCII words of ``text``, accents dropped, punctuation as spaces."""
    # Most names are plain ASCII already, and folding them is a tenth of a push's matching.
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _WORD.findall(text.lower())


def _respell(word: str) -> str:
    for old, new in _OLD_SPELLING:
        word = word.replace(old, new)
    return word


@lru_cache(maxsize=65536)
def _normal_word(word: str) -> str:
    """A given or family word in its normal spelling (given names repeat: cached)."""
    word = _VARIANTS.get(word, word)
    respelled = _respell(word)
    return _VARIANTS.get(respelled, respelled)


def normal_name(name: str | None) -> str:
    """The comparable form of a name: given words, then ``/`` and the father's name if given.

    "Muhamad Rizki bin Ahmad" and "Mohammad Rizki" become
    ``muhammad rizki/ahmad`` and ``muhammad rizki``; "" when nothing is left.
    """
    if not name:
        return ""
    parts: list[list[str]] = [[]]
    for word in _ascii_words(name):
        if word in _PATRONYMIC:
            if parts[0] and len(parts) == 1:
                parts.append([])
            continue
        if word in _DROPPED:
            continue
        parts[-1].append(_normal_word(word))
    return "/".join(" ".join(words) for words in parts if words)


def split_name(normal: str) -> tuple[str, str]:
    """The given words and the father's name ("" when not given) of a normal name."""
    given, _, father = normal.partition("/")
    return given, father


def normal_document(number: str | None) -> str:
    """A document number with case, spaces, dashes and other punctuation ignored."""
    if not number:
        return ""
    return "".join(_ascii_words(number)).upper()


def _code(word: str) -> str:
    """A sound code of one name word: spellings that sound alike share it."""
    return jellyfish.metaphone(word) or word


@lru_cache(maxsize=65536)
def blocking_keys(normal: str, sex: str | None) -> tuple[str, ...]:
    """Keys under which a person is stored and looked up for name matching.

    One key per pair of word codes, prefixed by sex: a typo in one word
    still leaves the pairs of the others, and a pair keeps each block
    small even for common names.  Adjacent given words also count joined
    ("Nur Haliza" and "Nurhaliza" share a code).  A name of one word is
    its own key.
    """
    given, father = split_name(normal)
    words = given.split()
    joined = [a + b for a, b in zip(words, words[1:], strict=False)]
    codes = sorted({_code(w) for w in words + father.split() + joined if len(w) > 1})
    if not codes or sex not in ("F", "M"):
        return ()
    if len(codes) == 1:
        return (f"{sex}:{codes[0]}",)
    return tuple(f"{sex}:{a}:{b}" for a, b in combinations(codes, 2))[:MAX_KEYS]


#: Keys kept per person: a long name gives many pairs, and past a few
#: they add rows without finding anyone new.
MAX_KEYS = 28
