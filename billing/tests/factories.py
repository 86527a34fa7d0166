"""Factories for the billing app. Deterministic once `factory.random.reseed_random` is called."""

from decimal import Decimal

import factory

from billing.models import Bill, BillLine, ServiceCharge
from patients.tests.factories import EncounterFactory, PayerFactory


class ServiceChargeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceCharge
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SVC{n:04d}")
    code_system = "CPT"
    description = factory.Sequence(lambda n: f"Service {n}")
    unit_price = Decimal("120.00")


class BillFactory(factory.django.DjangoModelFactory):
    """A claim to a payer (`payer=None`: self-pay). Amounts are given, not summed from lines."""

    class Meta:
        model = Bill

    encounter = factory.SubFactory(EncounterFactory)
    patient = factory.SelfAttribute("encounter.patient")
    payer = factory.SubFactory(PayerFactory)
    status = Bill.Status.SUBMITTED
    issued_on = factory.LazyAttribute(lambda b: b.encounter.admitted_at.date())
    total_amount = Decimal("240.00")
    sanctioned_amount = Decimal("200.00")


class BillLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillLine

    bill = factory.SubFactory(BillFactory)
    service_charge = factory.SubFactory(ServiceChargeFactory)
    code = factory.SelfAttribute("service_charge.code")
    description = factory.SelfAttribute("service_charge.description")
    quantity = Decimal("2")
    unit_price = factory.SelfAttribute("service_charge.unit_price")
