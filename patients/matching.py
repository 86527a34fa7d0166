"""How alike two patient identities are: the duplicate check's score.

Points for each attribute that agrees, penalties where two known values disagree (a
different date of birth, sex or SSN is evidence of two people). Names are compared after
folding case, accents and punctuation; "close" means a Jaro-Winkler similarity of at
least NAME_CLOSE, the same NYSIIS phonetic key, or two neighbouring letters swapped
(jellyfish computes the similarity, the key and the edit distance). The weights
and thresholds are in docs/registration.md, with the pairs the tests check.
"""

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

import jellyfish

NAME_CLOSE = 0.9
FAMILY_EXACT, FAMILY_CLOSE = 22, 15
GIVEN_EXACT, GIVEN_CLOSE, GIVEN_INITIAL = 18, 10, 3
BIRTH_EXACT, BIRTH_NEAR, BIRTH_DIFFERENT = 25, 12, -15
SEX_SAME, SEX_DIFFERENT = 5, -10
SSN_SAME, SSN_DIFFERENT = 20, -20
PHONE_SAME = 10
POSTAL_SAME = 5
LIKELY = 70  # a duplicate, unless the clerk knows otherwise
POSSIBLE = 55  # shown to the clerk as a candidate
KNOWN_SEXES = {"F", "M"}


def fold_name(name: str) -> str:
    """Lower-case letters only: "O'Brien-Smith" -> "obriensmith", "José" -> "jose",
    and Synthea's numbered names ("Jacinto644") lose their digits."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    return "".join(ch for ch in decomposed.casefold() if ch.isalpha() and ch.isascii())


def name_key(name: str) -> str:
    """The phonetic (NYSIIS) key the candidate search looks names up by."""
    folded = fold_name(name)
    return jellyfish.nysiis(folded)[:20] if folded else ""


def digits_of(text: str) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


def _phone(text: str) -> str:
    digits = digits_of(text)
    return digits[-10:] if len(digits) >= 7 else ""


@dataclass(frozen=True)
class Identity:
    """What the check compares; built from a Patient or from a registration form."""

    first_name: str
    last_name: str
    date_of_birth: dt.date | None
    sex: str = ""
    ssn_last4: str = ""
    phone: str = ""
    postal_code: str = ""
    maiden_name: str = ""

    @classmethod
    def of(cls, record) -> "Identity":
        return cls(
            **{name: getattr(record, name, "") or "" for name in cls.__dataclass_fields__}
            | {"date_of_birth": getattr(record, "date_of_birth", None)}
        )


@dataclass(frozen=True)
class MatchScore:
    points: int
    matched: list[str] = field(default_factory=list)
    differed: list[str] = field(default_factory=list)

    @property
    def is_likely(self) -> bool:
        return self.points >= LIKELY

    @property
    def is_possible(self) -> bool:
        return self.points >= POSSIBLE

    @property
    def verdict(self) -> str:
        return "likely" if self.is_likely else "possible" if self.is_possible else "unlikely"


def _names_close(a: str, b: str) -> bool:
    return bool(a and b) and (
        jellyfish.jaro_winkler_similarity(a, b) >= NAME_CLOSE
        or jellyfish.nysiis(a) == jellyfish.nysiis(b)
        or _one_swap(a, b)
    )


def _one_swap(a: str, b: str) -> bool:
    """Two neighbouring letters typed the wrong way round ("Kmi" for "Kim"), which
    Jaro-Winkler judges harshly in short names."""
    return (
        len(a) == len(b) >= 3
        and sorted(a) == sorted(b)
        and jellyfish.damerau_levenshtein_distance(a, b) == 1
    )


def _family_points(new: Identity, old: Identity) -> tuple[int, str]:
    family, other = fold_name(new.last_name), fold_name(old.last_name)
    if family and family == other:
        return FAMILY_EXACT, "family name"
    maiden = fold_name(old.maiden_name)
    if family and family == maiden:
        return FAMILY_CLOSE, "family name (the maiden name)"
    if _names_close(family, other):
        return FAMILY_CLOSE, "family name (similar)"
    return 0, ""


def _given_points(new: Identity, old: Identity) -> tuple[int, str]:
    given, other = fold_name(new.first_name), fold_name(old.first_name)
    if given and given == other:
        return GIVEN_EXACT, "given name"
    if _names_close(given, other):
        return GIVEN_CLOSE, "given name (similar)"
    if given and other and (len(given) == 1 or len(other) == 1) and given[0] == other[0]:
        return GIVEN_INITIAL, "given name (initial)"
    return 0, ""


def _names_swapped(new: Identity, old: Identity) -> bool:
    pairs = (
        (fold_name(new.first_name), fold_name(old.last_name)),
        (fold_name(new.last_name), fold_name(old.first_name)),
    )
    return all(_names_close(a, b) for a, b in pairs)


def _birth_near(a: dt.date, b: dt.date) -> bool:
    """One part mistyped (year, month or day), or day and month swapped."""
    same_parts = (a.year == b.year) + (a.month == b.month) + (a.day == b.day)
    swapped = a.year == b.year and a.month == b.day and a.day == b.month
    return same_parts == 2 or swapped


def match_score(new: Identity, old: Identity) -> MatchScore:
    points, matched, differed = 0, [], []

    def agree(gained: int, label: str) -> None:
        nonlocal points
        points += gained
        matched.append(label)

    def disagree(lost: int, label: str) -> None:
        nonlocal points
        points += lost
        differed.append(label)

    family, family_label = _family_points(new, old)
    given, given_label = _given_points(new, old)
    if not family and not given and _names_swapped(new, old):
        agree(FAMILY_CLOSE + GIVEN_CLOSE, "names (given and family swapped)")
    else:
        if family:
            agree(family, family_label)
        if given:
            agree(given, given_label)
    if new.date_of_birth and old.date_of_birth:
        if new.date_of_birth == old.date_of_birth:
            agree(BIRTH_EXACT, "date of birth")
        elif _birth_near(new.date_of_birth, old.date_of_birth):
            agree(BIRTH_NEAR, "date of birth (one part differs)")
        else:
            disagree(BIRTH_DIFFERENT, "date of birth")
    if new.sex in KNOWN_SEXES and old.sex in KNOWN_SEXES:
        if new.sex == old.sex:
            agree(SEX_SAME, "sex")
        else:
            disagree(SEX_DIFFERENT, "sex")
    if new.ssn_last4 and old.ssn_last4:
        if new.ssn_last4 == old.ssn_last4:
            agree(SSN_SAME, "SSN last four")
        else:
            disagree(SSN_DIFFERENT, "SSN last four")
    phone = _phone(new.phone)
    if phone and phone == _phone(old.phone):
        agree(PHONE_SAME, "phone")
    postal = digits_of(new.postal_code)[:5]
    if len(postal) == 5 and postal == digits_of(old.postal_code)[:5]:
        agree(POSTAL_SAME, "postal code")
    return MatchScore(points=points, matched=matched, differed=differed)
