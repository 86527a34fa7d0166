from django.urls import reverse

from access.roles import Role, roles_of
from patients.models import Patient


def test_it_gives_the_care_team_and_only_them_the_patient(
    patient_record, attending_doctor, ward_nurse, doctor_elsewhere, other_patient_record
):
    assert list(Patient.objects.visible_to(attending_doctor)) == [patient_record]
    assert list(Patient.objects.visible_to(ward_nurse)) == [patient_record]
    assert list(Patient.objects.visible_to(doctor_elsewhere)) == [other_patient_record]
    assert attending_doctor.provider.kind == "doctor"
    assert ward_nurse.provider.kind == "nurse"
    assert attending_doctor.provider.specialty.name == "Cardiology"


def test_it_builds_a_full_chart(patient_record):
    encounter = patient_record.encounters.get()
    assert encounter.is_open
    assert encounter.vital_signs.count() == 1
    assert encounter.diagnoses.get().condition.code == "I10"
    assert encounter.lab_results.count() == 1
    assert encounter.prescriptions.count() == 1
    assert encounter.bills.get().lines.count() == 1
    assert patient_record.emergency_contacts.count() == 1
    assert patient_record.ssn_last4


def test_it_links_patients_to_their_own_record(
    patient_user, other_patient_user, patient_record, other_patient_record
):
    assert patient_user.patient == patient_record
    assert list(Patient.objects.visible_to(patient_user)) == [patient_record]
    assert list(Patient.objects.visible_to(other_patient_user)) == [other_patient_record]


def test_it_gives_each_persona_its_role(
    billing_clerk, front_desk, administrator, outsider, attending_doctor, patient_user
):
    assert roles_of(billing_clerk) == {Role.BILLING}
    assert roles_of(front_desk) == {Role.FRONT_DESK}
    assert roles_of(administrator) == {Role.ADMINISTRATOR}
    assert roles_of(outsider) == frozenset()
    assert roles_of(attending_doctor) == {Role.DOCTOR}
    assert roles_of(patient_user) == {Role.PATIENT}
    assert Patient.objects.visible_to(outsider).count() == 0


def test_it_lets_every_persona_sign_in(client, administrator, billing_clerk, ward_nurse):
    for user in (administrator, billing_clerk, ward_nurse):
        client.force_login(user)
        # The login page sends a signed-in user on to the home page.
        response = client.get(reverse("login"))
        assert response.status_code == 302
        assert response.wsgi_request.user == user


def test_it_has_a_factory_for_every_model(db):
    from billing.tests import factories as billing
    from patients.tests import factories as patients
    from providers.tests import factories as providers

    built = [
        patients.CoverageFactory(),
        patients.AllergyFactory(),
        patients.CareAssignmentFactory(),
        patients.NursingAssignmentFactory(),
        patients.VitalSignsFactory(),
        patients.SymptomFactory(),
        patients.DiagnosisFactory(),
        patients.LabResultFactory(value_numeric=250),
        patients.PrescriptionFactory(),
        patients.EmergencyContactFactory(),
        providers.HealthcareProviderFactory(),
        billing.BillLineFactory(),
    ]
    for row in built:
        row.full_clean()
    assert built[7].abnormal_flag == "H"
    assert built[11].amount == built[11].unit_price * 2
