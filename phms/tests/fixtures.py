"""Shared persona fixtures, registered for the whole suite by the root conftest.py.

Each persona fixture is a django User. Doctors and nurses have `.provider`; the
patient personas have `.patient`. `patient_record` is the chart the care team
(attending_doctor, ward_nurse) treats; `doctor_elsewhere` treats `other_patient_record`
only; `proxy_user` reads `patient_record` in the portal as a parent; `outsider` has a
login and no role.
"""

import factory.random
import pytest

from access.roles import Role
from patients.models import CareAssignment
from phms.tests import personas

FACTORY_SEED = 20240601


@pytest.fixture(autouse=True)
def _deterministic_factories():
    # Same fake names and values in every run; failures reproduce.
    factory.random.reseed_random(FACTORY_SEED)


@pytest.fixture
def roles(db):
    personas.ensure_roles()


@pytest.fixture
def patient_record(db):
    return personas.patient_chart(first_name="Ada", last_name="Lovelace", mrn="MRN-CARE-0001")


@pytest.fixture
def other_patient_record(db):
    return personas.patient_chart(first_name="Alan", last_name="Turing", mrn="MRN-ELSE-0002")


@pytest.fixture
def attending_doctor(patient_record):
    user = personas.doctor_user(username="dr.attending", specialty="Cardiology")
    personas.put_on_care_team(user, patient_record, CareAssignment.Role.ATTENDING)
    return user


@pytest.fixture
def ward_nurse(patient_record):
    user = personas.nurse_user(username="nurse.ward")
    personas.put_on_care_team(user, patient_record, CareAssignment.Role.NURSING)
    return user


@pytest.fixture
def doctor_elsewhere(other_patient_record):
    user = personas.doctor_user(username="dr.elsewhere", specialty="Dermatology")
    personas.put_on_care_team(user, other_patient_record, CareAssignment.Role.ATTENDING)
    return user


@pytest.fixture
def billing_clerk(db):
    return personas.user_with_role(Role.BILLING, username="billing.clerk")


@pytest.fixture
def front_desk(db):
    return personas.user_with_role(Role.FRONT_DESK, username="front.desk")


@pytest.fixture
def patient_user(patient_record):
    return personas.patient_login(patient_record, username="patient.ada")


@pytest.fixture
def other_patient_user(other_patient_record):
    return personas.patient_login(other_patient_record, username="patient.alan")


@pytest.fixture
def proxy_user(patient_record):
    """A parent's portal login: no record of its own, proxy access to `patient_record`."""
    return personas.proxy_login(patient_record, username="proxy.parent")


@pytest.fixture
def administrator(db):
    return personas.user_with_role(Role.ADMINISTRATOR, username="admin.user", is_staff=True)


@pytest.fixture
def outsider(db):
    return personas.user_with_role(None, username="outsider")
