"""Features of a question for the intent model: hashed character 1-3-grams (Chinese needs no segmenter) and
English word 1-2-grams, with numbers and SKU ids folded to one symbol each so 3万 and 8千 look alike."""

from __future__ import annotations

import re
import unicodedata
import zlib

BUCKETS = 1 << 14
_SKU = re.compile(r"(?<![a-z0-9])s\d{2,5}(?!\d)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[a-z#0]+(?:'[a-z]+)?")


def normalise(text: str) -> str:
    """NFKC, lower case, SKU ids -> '#', numbers -> '0', runs of spaces -> one."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _SKU.sub("#", text)
    text = _NUMBER.sub("0", text)
    return re.sub(r"\s+", " ", text).strip()


def feature_ids(text: str) -> list[int]:
    """The distinct hashed feature ids of a question (sorted, so the same text gives the same list)."""
    folded = normalise(text)
    grams: set[str] = set()
    padded = f"^{folded}$"
    for size in (1, 2, 3):
        grams.update("c" + padded[at:at + size] for at in range(len(padded) - size + 1))
    words = _WORD.findall(folded)
    grams.update("w" + word for word in words)
    grams.update("b" + first + " " + second for first, second in zip(words, words[1:], strict=False))
    return sorted({zlib.crc32(gram.encode("utf-8")) % BUCKETS for gram in grams})
