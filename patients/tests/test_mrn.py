"""One MRN format with a check digit, for registered, imported and seeded patients."""

import pytest

from patients.mrn import is_valid_mrn, looks_like_mrn, mrn_for_serial, new_mrns
from patients.tests.factories import PatientFactory


def test_it_appends_a_luhn_check_digit():
    assert mrn_for_serial(12345678) == "MRN123456782"
    assert mrn_for_serial(1) == "MRN000000018"
    assert is_valid_mrn("MRN123456782") and is_valid_mrn("mrn123456782")


@pytest.mark.parametrize(
    "typo",
    ["MRN123456783", "MRN123456872", "MRN213456782", "MRN12345678", "MRN1234567820", "123456782"],
)
def test_it_catches_a_mistyped_or_swapped_digit(typo):
    assert not is_valid_mrn(typo)


def test_it_tells_the_shape_from_the_check():
    assert looks_like_mrn("MRN123456783") and not is_valid_mrn("MRN123456783")
    assert not looks_like_mrn("Hopper")


def test_it_refuses_a_serial_too_long():
    with pytest.raises(ValueError, match="at most 8 digits"):
        mrn_for_serial(10**8)


@pytest.mark.django_db
def test_it_issues_valid_unused_mrns(monkeypatch):
    taken = PatientFactory(mrn=mrn_for_serial(42))
    draws = iter([42, 42, 7, 8])
    monkeypatch.setattr("patients.mrn.secrets.randbelow", lambda bound: next(draws))
    issued = new_mrns(2)
    assert sorted(issued) == [mrn_for_serial(7), mrn_for_serial(8)]
    assert taken.mrn not in issued
    assert all(is_valid_mrn(mrn) for mrn in issued)
