"""How the registry compares names: one folding for the register lookup and the directory.

People type names as they hear them: without accents, in another case, with extra spaces, on
a keyboard that has no "ø". Clause 7.2.1 asks the body to answer whether a person is
certified, so a lookup must not fail over such differences; the folding below removes them
(Unicode compatibility forms, case, combining marks, invisible format characters, a few
letters that do not decompose, runs of white space) and nothing more, so that "Müller",
"MULLER" and "muller" are one name but "Muller" and "Mueller" stay two.
"""

from __future__ import annotations

import hmac
import unicodedata

__all__ = ["fold", "same_name"]

_NOT_DECOMPOSED = str.maketrans(
    {
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "ı": "i",
        "ł": "l",
        "ŧ": "t",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)
"""Latin letters with a stroke or ligature: Unicode gives them no base letter to fall to."""


def fold(name: str) -> str:
    """``name`` without case, accents or extra white space, for comparison only."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name).casefold())
    bare = "".join(
        c
        for c in decomposed
        if not unicodedata.combining(c) and unicodedata.category(c) != "Cf"  # zero-width marks
    )
    return " ".join(bare.translate(_NOT_DECOMPOSED).split())


def same_name(published: object, given: str) -> bool:
    """Whether ``given`` names ``published`` once both are folded; in constant time."""
    if not isinstance(published, str):
        return False
    return hmac.compare_digest(fold(published).encode("utf-8"), fold(given).encode("utf-8"))
