"""The duplicate check's score on hand-made pairs: typos, twins, namesakes."""

import datetime as dt

import pytest

from patients import matching
from patients.matching import Identity, match_score

BORN = dt.date(1986, 12, 9)
GRACE = Identity(
    first_name="Grace",
    last_name="Hopper",
    date_of_birth=BORN,
    sex="F",
    ssn_last4="6789",
    phone="617-555-0101",
    postal_code="02118",
)


def _like(base: Identity, **changes) -> Identity:
    return Identity(**{**base.__dict__, **changes})


@pytest.mark.parametrize(
    "duplicate",
    [
        _like(GRACE),
        _like(GRACE, first_name="Grcae"),  # two letters swapped
        _like(GRACE, last_name="Hoper"),  # a letter dropped
        _like(GRACE, last_name="HOPPER", first_name="grace "),  # case and spaces
        _like(GRACE, first_name="Hopper", last_name="Grace"),  # names entered swapped
        _like(GRACE, date_of_birth=dt.date(1986, 9, 12)),  # day and month swapped
        _like(GRACE, date_of_birth=dt.date(1968, 12, 9), phone=""),  # year mistyped
        _like(GRACE, last_name="Smith", phone="(617) 555 0101"),  # married, same phone
        _like(GRACE, first_name="Grace644", last_name="Hopper211"),  # Synthea's numbered names
    ],
)
def test_it_scores_true_duplicates_with_typos_as_likely(duplicate):
    score = match_score(duplicate, GRACE)
    assert score.is_likely, (score.points, score.matched, score.differed)


def test_it_shows_a_typo_with_only_name_birth_and_sex_as_a_candidate():
    typed = Identity(first_name="Grcae", last_name="Hoppr", date_of_birth=BORN, sex="F")
    score = match_score(typed, GRACE)
    assert score.is_possible
    assert "date of birth" in score.matched
    assert "family name (similar)" in score.matched and "given name (similar)" in score.matched


def test_it_counts_one_swap_in_a_short_name_as_similar():
    kim = Identity(first_name="Beverly", last_name="Kim", date_of_birth=BORN, sex="F")
    typed = _like(kim, last_name="Kmi")
    assert match_score(typed, kim).is_possible
    assert "family name (similar)" in match_score(typed, kim).matched
    other = _like(kim, last_name="Lee")  # two edits: another family
    assert not match_score(other, kim).is_possible


def test_twins_named_one_letter_apart_are_told_apart_by_their_ssns():
    # Without an SSN, Dina for Dana looks like a typo: the clerk sees a likely duplicate and
    # says "twins". With their own SSNs they are only possible.
    dana = _like(GRACE, first_name="Dana", ssn_last4="1111")
    dina = _like(GRACE, first_name="Dina", ssn_last4="2222")
    assert match_score(_like(dina, ssn_last4=""), dana).is_likely
    assert not match_score(dina, dana).is_likely
    assert "SSN last four" in match_score(dina, dana).differed


def test_it_keeps_twins_below_likely_and_out_with_their_own_ssns():
    twin = _like(GRACE, first_name="Mary", ssn_last4="")
    assert not match_score(twin, GRACE).is_likely
    assert match_score(twin, GRACE).is_possible  # same home and birthday: the clerk decides
    twin_with_ssn = _like(GRACE, first_name="Mary", ssn_last4="1234")
    assert not match_score(twin_with_ssn, GRACE).is_possible
    assert "SSN last four" in match_score(twin_with_ssn, GRACE).differed
    brother = _like(GRACE, first_name="Gary", sex="M", ssn_last4="")
    assert not match_score(brother, GRACE).is_likely


@pytest.mark.parametrize(
    "namesake",
    [
        Identity(first_name="Grace", last_name="Hopper", date_of_birth=dt.date(1952, 3, 1)),
        Identity(
            first_name="Grace",
            last_name="Hopper",
            date_of_birth=dt.date(1990, 7, 14),
            sex="F",
            postal_code="02118",
        ),
    ],
)
def test_it_does_not_offer_namesakes_born_on_other_days(namesake):
    score = match_score(namesake, GRACE)
    assert not score.is_possible, (score.points, score.matched)
    assert "date of birth" in score.differed


def test_it_counts_each_attribute_once_and_sums_to_the_maximum():
    score = match_score(GRACE, GRACE)
    assert score.points == (
        matching.FAMILY_EXACT
        + matching.GIVEN_EXACT
        + matching.BIRTH_EXACT
        + matching.SEX_SAME
        + matching.SSN_SAME
        + matching.PHONE_SAME
        + matching.POSTAL_SAME
    )
    assert score.differed == []


def test_it_folds_names_and_keys_them_phonetically():
    assert matching.fold_name("O'Brien-Smith") == "obriensmith"
    assert matching.fold_name("José") == "jose"
    assert matching.name_key("Catherine") == matching.name_key("Katherine")
    assert matching.name_key("Smith") == matching.name_key("Smiht")
    assert matching.name_key("") == matching.name_key("123") == ""
