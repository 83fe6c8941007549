"""The programme's fixed vocabularies: support domains and London's boroughs, and how
names are folded to match records."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

DOMAINS = (
    "mental_health",
    "substance_misuse",
    "housing",
    "employment",
    "education",
    "family",
    "safety",
    "wellbeing",
    "other",
)

# The 32 London boroughs and the City of London.
LONDON_BOROUGHS = (
    "Barking and Dagenham",
    "Barnet",
    "Bexley",
    "Brent",
    "Bromley",
    "Camden",
    "City of London",
    "Croydon",
    "Ealing",
    "Enfield",
    "Greenwich",
    "Hackney",
    "Hammersmith and Fulham",
    "Haringey",
    "Harrow",
    "Havering",
    "Hillingdon",
    "Hounslow",
    "Islington",
    "Kensington and Chelsea",
    "Kingston upon Thames",
    "Lambeth",
    "Lewisham",
    "Merton",
    "Newham",
    "Redbridge",
    "Richmond upon Thames",
    "Southwark",
    "Sutton",
    "Tower Hamlets",
    "Waltham Forest",
    "Wandsworth",
    "Westminster",
)

_BOROUGH_BY_KEY = {name.lower().replace("&", "and"): name for name in LONDON_BOROUGHS}


def canonical_borough(name: str) -> str | None:
    """The borough's official name for any capitalisation ("hackney", "Hammersmith & Fulham")."""
    key = " ".join(name.strip().lower().replace("&", "and").split())
    return _BOROUGH_BY_KEY.get(key)


def canonical_boroughs(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """(the boroughs named, each once and as London spells it; the names that are none)."""
    boroughs: list[str] = []
    unknown: list[str] = []
    for name in names:
        borough = canonical_borough(name)
        if borough is None:
            unknown.append(name)
        elif borough not in boroughs:
            boroughs.append(borough)
    return boroughs, unknown


def name_match_key(first_name: str, last_name: str) -> str:
    """A person's name folded for matching records: case and accents ignored, spaces
    collapsed ("José  O'Neill" and "jose o'neill" match), so one young person referred
    twice is found again. Unicode decomposition from the standard library: no library
    guesses at transliteration beyond dropping the marks."""
    folded = []
    for part in (first_name, last_name):
        decomposed = unicodedata.normalize("NFKD", part.casefold())
        bare = "".join(char for char in decomposed if not unicodedata.combining(char))
        folded.append(" ".join(bare.split()))
    return "|".join(folded)


def normalise_email(email: str) -> str:
    """Emails are stored and compared lower-cased and trimmed, so that one person cannot
    hold two accounts (or dodge a lockout) by changing case."""
    return email.strip().lower()
