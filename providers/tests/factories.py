"""Factories for the providers app. Deterministic once `factory.random.reseed_random` is called."""

import factory
from django.contrib.auth import get_user_model

from providers.models import (
    Department,
    Doctor,
    HealthcareProvider,
    Nurse,
    Organization,
    Specialty,
)


class UserFactory(factory.django.DjangoModelFactory):
    """A login with no role; tests sign in with `client.force_login`, so no usable password."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password(None)


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Specialty {n}")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"General Hospital {n}")
    address_line = factory.Faker("street_address")
    city = factory.Faker("city")
    state = "Massachusetts"
    postal_code = factory.Faker("postcode")
    phone = factory.Faker("numerify", text="617-###-####")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("organization", "name")

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Clinic {n}")


class HealthcareProviderFactory(factory.django.DjangoModelFactory):
    """A provider who is neither doctor nor nurse (e.g. a therapist)."""

    class Meta:
        model = HealthcareProvider

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    gender = factory.Iterator(["F", "M"])
    organization = factory.SubFactory(OrganizationFactory)
    phone = factory.Faker("numerify", text="617-###-####")
    email = factory.LazyAttribute(
        lambda p: f"{p.first_name}.{p.last_name}@hospital.example".lower()
    )


class DoctorFactory(HealthcareProviderFactory):
    class Meta:
        model = Doctor

    specialty = factory.SubFactory(SpecialtyFactory, name="Internal Medicine")
    license_number = factory.Sequence(lambda n: f"MD{n:06d}")
    board_certified = True


class NurseFactory(HealthcareProviderFactory):
    class Meta:
        model = Nurse

    license_number = factory.Sequence(lambda n: f"RN{n:06d}")
    ward = "Ward 3B"
    registered = True
