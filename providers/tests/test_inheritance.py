import pytest

from phms.tests.records import make_doctor, make_nurse
from providers.models import Doctor, HealthcareProvider, Nurse

pytestmark = pytest.mark.django_db


def test_it_lists_doctors_and_nurses_as_providers():
    doctor, nurse = make_doctor(), make_nurse()
    other = HealthcareProvider.objects.create(first_name="Pat", last_name="Therapist")

    providers = {provider.pk: provider for provider in HealthcareProvider.objects.all()}

    assert set(providers) == {doctor.pk, nurse.pk, other.pk}
    assert providers[doctor.pk].kind == "doctor"
    assert providers[nurse.pk].kind == "nurse"
    assert providers[other.pk].kind == "provider"


def test_it_tells_each_kind_without_a_query_per_row(django_assert_num_queries):
    for _ in range(5):
        make_doctor()
        make_nurse()
    with django_assert_num_queries(1):
        rows = [(row.kind, row.display_name) for row in HealthcareProvider.objects.all()]
    assert sorted(kind for kind, _ in rows) == ["doctor"] * 5 + ["nurse"] * 5
    assert sum(name.startswith("Dr. ") for _, name in rows) == 5


def test_it_lists_only_doctors_through_the_doctor_manager():
    doctor, nurse = make_doctor(), make_nurse()
    assert list(Doctor.objects.all()) == [doctor]
    assert list(Nurse.objects.all()) == [nurse]
    assert Doctor.objects.get().license_number == "D1"


def test_it_hides_a_deleted_doctor_in_both_views():
    doctor, nurse = make_doctor(), make_nurse()
    doctor.delete()
    assert list(HealthcareProvider.objects.all()) == [HealthcareProvider.objects.get(pk=nurse.pk)]
    assert not Doctor.objects.exists()
    assert Doctor.all_objects.get(pk=doctor.pk).is_deleted


def test_it_prefixes_doctors_names():
    doctor = make_doctor(first_name="Meredith", last_name="Grey")
    provider = HealthcareProvider.objects.get(pk=doctor.pk)
    assert provider.display_name == "Dr. Meredith Grey"
