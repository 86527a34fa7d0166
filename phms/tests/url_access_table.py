"""Every URL name x every persona: the status a GET answers. Walked by test_url_access.py.

How to add a row (one per URL name; the walker fails until every named URL has one):

    "app:url_name": Row(
        kwargs=lambda t: {"pk": t.patient.pk},   # None for URLs without arguments
        expect=patient_page(allowed=(DOCTOR, NURSE), ...),  # or statuses(...) by hand
        post_tamper=lambda mine, other: {"encounter": other.encounter.pk, ...},  # optional
    ),

- `kwargs` builds the URL's arguments from a `Target` (the `patient_record` fixture's
  patient, its open `encounter`, a `vitals` row, a `note_id`, ...). The walker calls it
  with the other patient's Target too and expects 404 from everyone who may see only
  `patient_record` (id tampering), and with `patient_record`'s id but the other
  patient's encounter/record/note ids, expecting 404 from the personas the row allows;
  set `tamper=False` only for URLs meant to reach any patient (break-the-glass).
  `tamper_as` narrows who is checked (portal pages: staff get 403 before any lookup).
- `expect` maps each persona in PERSONAS to a status: an int, or LOGIN (302 to the sign-in
  page). `statuses(default, **overrides)` fills the rest; `patient_page(...)` encodes the
  usual rules for a page about one patient: anonymous -> LOGIN; who cannot see the
  patient -> 404; who sees it but may not use the page -> 403.
- `post_tamper` (optional) is a POST body for the URL of `patient_record` that names the
  other patient's ids (an encounter, a record); the walker posts it as `post_as` and
  expects a refusal (no redirect to success, never a 500).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

LOGIN = "login"

ANONYMOUS = "anonymous"
DOCTOR = "attending_doctor"
NURSE = "ward_nurse"
DOCTOR_ELSEWHERE = "doctor_elsewhere"
BILLING = "billing_clerk"
FRONT_DESK = "front_desk"
PATIENT = "patient_user"
OTHER_PATIENT = "other_patient_user"
PROXY = "proxy_user"
ADMINISTRATOR = "administrator"
OUTSIDER = "outsider"

PERSONAS = (
    ANONYMOUS,
    DOCTOR,
    NURSE,
    DOCTOR_ELSEWHERE,
    BILLING,
    FRONT_DESK,
    PATIENT,
    OTHER_PATIENT,
    PROXY,
    ADMINISTRATOR,
    OUTSIDER,
)
SIGNED_IN = PERSONAS[1:]
# Who sees `patient_record` through Patient.objects.visible_to (others get 404 on it).
SEES_PATIENT = (DOCTOR, NURSE, BILLING, FRONT_DESK, PATIENT, ADMINISTRATOR)
# Who sees only `patient_record` of the two patients: the id-tampering personas (the proxy
# reads it in the portal only).
SEES_ONLY_THIS_PATIENT = (DOCTOR, NURSE, PATIENT, PROXY)


class Target:
    """The objects a URL's arguments point at, all belonging to one patient."""

    def __init__(self, patient):
        self.patient = patient

    @cached_property
    def encounter(self):
        return self.patient.encounters.order_by("-admitted_at").first()

    @cached_property
    def vitals(self):
        from patients.models import VitalSigns

        return VitalSigns.objects.filter(encounter__patient=self.patient).first()

    @cached_property
    def diagnosis(self):
        from patients.models import Diagnosis

        return Diagnosis.objects.filter(encounter__patient=self.patient).first()

    @cached_property
    def prescription(self):
        from patients.models import Prescription

        return Prescription.objects.filter(encounter__patient=self.patient).first()

    @cached_property
    def allergy(self):
        from patients.tests.factories import AllergyFactory

        return AllergyFactory(patient=self.patient)

    @cached_property
    def note_id(self) -> str:
        from patients.notes import note_create
        from providers.tests.factories import UserFactory

        author = UserFactory(username=f"note.author.{self.patient.pk}")
        note = note_create(patient=self.patient, author=author, kind="progress", text="Stable.")
        return str(note["id"])

    @cached_property
    def assignment(self):
        from patients.models import CareAssignment

        return CareAssignment.objects.filter(encounter=self.encounter).first()

    @cached_property
    def bill(self):
        from billing.models import Bill

        return Bill.objects.filter(patient=self.patient).first()

    @cached_property
    def change_request(self):
        from portal.models import ChangeRequest
        from providers.tests.factories import UserFactory

        return ChangeRequest.objects.create(
            patient=self.patient,
            kind=ChangeRequest.Kind.PHONE,
            values={"phone": "+1 617 555 0199"},
            requested_by=self.patient.user or UserFactory(username=f"asker.{self.patient.pk}"),
        )

    @cached_property
    def proxy_access(self):
        from phms.tests.personas import proxy_login
        from portal.models import ProxyAccess

        access = ProxyAccess.objects.filter(patient=self.patient).first()
        if access is None:
            proxy_login(self.patient, username=f"proxy.of.{self.patient.pk}")
            access = ProxyAccess.objects.get(patient=self.patient)
        return access

    @cached_property
    def appointment(self):
        """A booked appointment of this patient with a doctor who is no persona."""
        from scheduling.tests.factories import AppointmentFactory

        return AppointmentFactory(patient=self.patient)

    @cached_property
    def appointment_request(self):
        from scheduling.tests.factories import AppointmentRequestFactory

        asker = {"requested_by": self.patient.user} if self.patient.user else {}
        return AppointmentRequestFactory(patient=self.patient, **asker)

    @cached_property
    def vaccination_id(self) -> str:
        from datetime import date

        from patients.vaccinations import vaccination_record

        event = vaccination_record(
            patient=self.patient,
            vaccine="Influenza",
            cvx_code="140",
            dose_number=1,
            date=date(2024, 10, 1),
        )
        return event["id"]


class MixedTarget(Target):
    """This patient's id, everything else from another patient (tampering inside the URL)."""

    def __init__(self, patient, other: Target):
        super().__init__(patient)
        self._other = other

    def __getattribute__(self, name):
        if name in (
            "encounter",
            "vitals",
            "note_id",
            "assignment",
            "vaccination_id",
            "bill",
            "diagnosis",
            "prescription",
            "allergy",
            "appointment",
        ):
            return getattr(object.__getattribute__(self, "_other"), name)
        return object.__getattribute__(self, name)


def statuses(default, **overrides) -> dict:
    """A status per persona: `default` for everyone signed in, LOGIN for anonymous."""
    expect = dict.fromkeys(SIGNED_IN, default)
    expect[ANONYMOUS] = LOGIN
    unknown = set(overrides) - set(PERSONAS)
    if unknown:
        raise ValueError(f"unknown personas {sorted(unknown)}")
    expect.update(overrides)
    return expect


def patient_page(*, allowed, ok=200, **overrides) -> dict:
    """A page about `patient_record`: `allowed` personas get `ok`, other personas who see the
    patient get 403, personas who cannot see it get 404."""
    expect = {ANONYMOUS: LOGIN}
    for persona in SIGNED_IN:
        if persona in allowed:
            expect[persona] = ok
        elif persona in SEES_PATIENT:
            expect[persona] = 403
        else:
            expect[persona] = 404
    expect.update(overrides)
    return expect


@dataclass(frozen=True)
class Row:
    expect: dict
    kwargs: Callable[[Target], dict] | None = None
    tamper: bool = True
    post_tamper: Callable[[Target, Target], dict] | None = None
    post_as: str = DOCTOR
    tamper_as: tuple = SEES_ONLY_THIS_PATIENT
    notes: str = field(default="", compare=False)


def _patient(t):
    return {"pk": t.patient.pk}


NO_EXPORT = "00000000-0000-0000-0000-000000000000"
BILLING_PAGE = statuses(403, billing_clerk=200, administrator=200)
BILLING_POST = statuses(403, billing_clerk=405, administrator=405)
CLINICAL_REPORT = statuses(
    403, attending_doctor=200, ward_nurse=200, doctor_elsewhere=200, administrator=200
)


def _encounter(t):
    return {"pk": t.patient.pk, "encounter_pk": t.encounter.pk}


def _assignment(t):
    return {**_encounter(t), "assignment_pk": t.assignment.pk}


def _vaccination(t):
    return {"pk": t.patient.pk, "event_id": t.vaccination_id}


CLINICIANS = (DOCTOR, NURSE)
REGISTRATION = (FRONT_DESK, ADMINISTRATOR)
DIRECTORY_USERS = (DOCTOR, NURSE, DOCTOR_ELSEWHERE, FRONT_DESK, ADMINISTRATOR)
# Catalog look-ups (conditions, providers) hold no patient data: any clinician, and admins.
CATALOG_SEARCH = (DOCTOR, NURSE, DOCTOR_ELSEWHERE, ADMINISTRATOR)

# The portal: portal users read the record they chose (their own, or as a proxy); staff get
# 403. A record id (visit, note, vaccination, bill) of another record answers 404.
PORTAL_READERS = (PATIENT, PROXY)
PORTAL_PAGE = statuses(403, **dict.fromkeys((PATIENT, OTHER_PATIENT, PROXY), 200))
PORTAL_RECORD = statuses(403, **dict.fromkeys(PORTAL_READERS, 200), other_patient_user=404)


def _open_invitation_token() -> str:
    """The link token of an open invitation (for a patient who has no portal account yet)."""
    from patients.tests.factories import PatientFactory
    from portal.services import invitation_create
    from providers.tests.factories import UserFactory

    _invitation, token, _code = invitation_create(patient=PatientFactory(), by=UserFactory())
    return token


# Scheduling: who reads schedules, who books, and who sees an appointment of patient_record.
SCHEDULE_READERS = (DOCTOR, NURSE, DOCTOR_ELSEWHERE, FRONT_DESK, ADMINISTRATOR)
SCHEDULE_READERS_PAGE = statuses(403, **dict.fromkeys(SCHEDULE_READERS, 200))
# A schedule of a department / provider no persona works in: clinicians 404, others 403.
SCHEDULE_OF_OTHERS = statuses(
    403, front_desk=200, administrator=200, **dict.fromkeys(CLINICIANS + (DOCTOR_ELSEWHERE,), 404)
)
DESK_PAGE = statuses(403, front_desk=200, administrator=200)
# The appointment's getter first (404 to who may not see it), then the page's predicate.
APPOINTMENT_PAGE = statuses(
    404, attending_doctor=200, ward_nurse=200, front_desk=200, administrator=200, patient_user=403
)
APPOINTMENT_DESK_PAGE = statuses(
    404, attending_doctor=403, ward_nurse=403, front_desk=200, administrator=200, patient_user=403
)


def _appointment(t):
    return {"pk": t.appointment.pk}


URL_ACCESS: dict[str, Row] = {
    # phms ------------------------------------------------------------------------------------
    "home": Row(
        expect=statuses(200, patient_user=302, other_patient_user=302, proxy_user=302),
        notes="portal users are sent to the portal",
    ),
    "healthz": Row(expect=statuses(200, anonymous=200)),
    "favicon": Row(expect=statuses(302, anonymous=302), notes="to the SVG icon, for anyone"),
    "login": Row(expect=statuses(302, anonymous=200), notes="signed in: redirected home"),
    "logout": Row(expect=statuses(405, anonymous=405), notes="POST only"),
    "two_factor_verify": Row(
        expect=statuses(302, anonymous=LOGIN),
        notes="without a second factor to confirm: on to the page asked for",
    ),
    "two_factor_setup": Row(expect=statuses(200, anonymous=LOGIN), notes="one's own account"),
    "password_reset": Row(expect=statuses(200, anonymous=200), notes="anyone may ask"),
    "password_reset_done": Row(expect=statuses(200, anonymous=200)),
    "password_reset_confirm": Row(
        kwargs=lambda t: {"uidb64": "MQ", "token": "forged-token"},
        expect=statuses(200, anonymous=200),
        tamper=False,
        notes="a forged link says it is invalid",
    ),
    "password_reset_complete": Row(expect=statuses(200, anonymous=200)),
    "access:break_glass": Row(
        kwargs=lambda t: {"patient_pk": t.patient.pk},
        expect=statuses(403, attending_doctor=302, ward_nurse=302, doctor_elsewhere=200),
        tamper=False,
        notes="reaches any patient by design; on the care team already: straight to the chart",
    ),
    "access:break_glass_end": Row(
        kwargs=lambda t: {"access_pk": t.patient.pk},
        expect=statuses(405),
        tamper=False,
        notes="POST only: a GET is refused before any lookup (names an access, not a patient)",
    ),
    "access:api_tokens": Row(expect=statuses(200, outsider=403), notes="each user's own tokens"),
    "access:api_token_revoke": Row(
        kwargs=lambda t: {"token_pk": 1}, expect=statuses(405), tamper=False, notes="POST only"
    ),
    "access:break_glass_review": Row(
        expect=statuses(403, administrator=200),
        notes="administrators: each emergency access with the sections opened during it",
    ),
    # patients: reading -----------------------------------------------------------------------
    "patients:list": Row(
        expect=statuses(403, **dict.fromkeys(DIRECTORY_USERS, 200)),
    ),
    "patients:chart": Row(
        kwargs=_patient,
        expect=patient_page(allowed=(DOCTOR, NURSE, BILLING, FRONT_DESK, ADMINISTRATOR)),
        notes="front desk and billing see demographics only; a patient uses the portal",
    ),
    "patients:chart_print": Row(
        kwargs=_patient,
        expect=patient_page(allowed=(DOCTOR, NURSE, BILLING, FRONT_DESK, ADMINISTRATOR)),
    ),
    # patients: registration ------------------------------------------------------------------
    "patients:register": Row(expect=statuses(403, **dict.fromkeys(REGISTRATION, 200))),
    "patients:edit": Row(kwargs=_patient, expect=patient_page(allowed=REGISTRATION)),
    "patients:contact_add": Row(kwargs=_patient, expect=patient_page(allowed=REGISTRATION)),
    "patients:coverage_add": Row(kwargs=_patient, expect=patient_page(allowed=REGISTRATION)),
    "patients:register_step": Row(
        kwargs=lambda t: {"pk": t.patient.pk, "step": "contact"},
        expect=patient_page(allowed=REGISTRATION),
    ),
    "patients:merge": Row(kwargs=_patient, expect=patient_page(allowed=(ADMINISTRATOR,))),
    "patients:merge_undo": Row(
        kwargs=lambda t: {"pk": t.patient.pk, "merge_pk": 1},
        expect=statuses(405),
        tamper=False,
        notes="POST only; the undo button on the survivor's chart posts here",
    ),
    # patients: clinical recording ------------------------------------------------------------
    "patients:encounter_open": Row(kwargs=_patient, expect=patient_page(allowed=(DOCTOR, NURSE))),
    "patients:encounter_close": Row(kwargs=_encounter, expect=patient_page(allowed=(DOCTOR,))),
    "patients:care_team": Row(kwargs=_encounter, expect=patient_page(allowed=(DOCTOR,))),
    "patients:care_team_end": Row(
        kwargs=_assignment,
        expect=statuses(405),
        tamper=False,
        notes="POST only; the form on the care-team page posts here",
    ),
    "patients:care_team_restore": Row(
        kwargs=_assignment,
        expect=statuses(405),
        tamper=False,
        notes="POST only: the Undo button of care_team_end's message",
    ),
    "patients:vitals_add": Row(
        kwargs=_patient,
        expect=patient_page(allowed=CLINICIANS),
        post_tamper=lambda mine, other: {
            "encounter": other.encounter.pk,
            "heart_rate": 72,
            "spo2": 98,
        },
    ),
    "patients:symptom_add": Row(
        kwargs=_patient,
        expect=patient_page(allowed=CLINICIANS),
        post_tamper=lambda mine, other: {
            "encounter": other.encounter.pk,
            "description": "Headache",
            "severity": "mild",
        },
    ),
    "patients:diagnosis_add": Row(kwargs=_patient, expect=patient_page(allowed=(DOCTOR,))),
    "patients:lab_result_add": Row(kwargs=_patient, expect=patient_page(allowed=(DOCTOR,))),
    "patients:prescription_add": Row(kwargs=_patient, expect=patient_page(allowed=(DOCTOR,))),
    "patients:note_add": Row(
        kwargs=_patient,
        expect=patient_page(allowed=CLINICIANS),
        post_tamper=lambda mine, other: {
            "encounter": other.encounter.pk,
            "kind": "progress",
            "text": "Written into the wrong chart",
        },
    ),
    "patients:note_amend": Row(
        kwargs=lambda t: {"pk": t.patient.pk, "note_id": t.note_id},
        expect=patient_page(allowed=CLINICIANS),
    ),
    "patients:vaccination_add": Row(kwargs=_patient, expect=patient_page(allowed=CLINICIANS)),
    "patients:vaccination_correct": Row(
        kwargs=_vaccination, expect=patient_page(allowed=CLINICIANS)
    ),
    "patients:vaccination_delete": Row(
        kwargs=_vaccination, expect=patient_page(allowed=CLINICIANS)
    ),
    "patients:vaccination_restore": Row(
        kwargs=_vaccination,
        expect=statuses(405),
        tamper=False,
        notes="POST only: the Undo button of vaccination_delete's message",
    ),
    "patients:record_delete": Row(
        kwargs=lambda t: {"pk": t.patient.pk, "kind": "vitals", "record_pk": t.vitals.pk},
        expect=patient_page(allowed=CLINICIANS),
    ),
    "patients:record_restore": Row(
        kwargs=lambda t: {"pk": t.patient.pk, "kind": "vitals", "record_pk": t.vitals.pk},
        expect=statuses(405),
        tamper=False,
        notes="POST only: a GET is refused before any lookup",
    ),
    # patients: problem list, medication list, allergies (patients/views/lists.py) ----------
    "patients:problem_resolve": Row(
        kwargs=lambda t: {"pk": t.patient.pk, "diagnosis_pk": t.diagnosis.pk},
        expect=patient_page(allowed=(DOCTOR,)),
    ),
    "patients:problem_entered_in_error": Row(
        kwargs=lambda t: {"pk": t.patient.pk, "diagnosis_pk": t.diagnosis.pk},
        expect=patient_page(allowed=(DOCTOR,)),
    ),
    "patients:medication_stop": Row(
        kwargs=lambda t: {"pk": t.patient.pk, "prescription_pk": t.prescription.pk},
        expect=patient_page(allowed=(DOCTOR,)),
    ),
    "patients:medication_renew": Row(
        kwargs=lambda t: {"pk": t.patient.pk, "prescription_pk": t.prescription.pk},
        expect=patient_page(allowed=(DOCTOR,)),
    ),
    "patients:allergy_add": Row(kwargs=_patient, expect=patient_page(allowed=CLINICIANS)),
    "patients:allergy_change": Row(
        kwargs=lambda t: {"pk": t.patient.pk, "allergy_pk": t.allergy.pk},
        expect=patient_page(allowed=CLINICIANS),
    ),
    "patients:allergy_none_known": Row(kwargs=_patient, expect=patient_page(allowed=CLINICIANS)),
    "patients:condition_search": Row(expect=statuses(403, **dict.fromkeys(CATALOG_SEARCH, 200))),
    "patients:provider_search": Row(expect=statuses(403, **dict.fromkeys(CATALOG_SEARCH, 200))),
    # billing ---------------------------------------------------------------------------------
    "billing:list": Row(expect=BILLING_PAGE),
    "billing:denials": Row(expect=BILLING_PAGE),
    "billing:bulk_submit": Row(expect=BILLING_POST, notes="POST only: submit selected drafts"),
    # Billing staff reach every patient's bills: no tampering to refuse, others get 403.
    "billing:detail": Row(kwargs=lambda t: {"pk": t.bill.pk}, expect=BILLING_PAGE, tamper=False),
    "billing:payment": Row(kwargs=lambda t: {"pk": t.bill.pk}, expect=BILLING_POST, tamper=False),
    "billing:adjustment": Row(
        kwargs=lambda t: {"pk": t.bill.pk}, expect=BILLING_POST, tamper=False
    ),
    "billing:reversal": Row(kwargs=lambda t: {"pk": t.bill.pk}, expect=BILLING_POST, tamper=False),
    "billing:action": Row(
        kwargs=lambda t: {"pk": t.bill.pk, "action": "submit"}, expect=BILLING_POST, tamper=False
    ),
    "billing:statement": Row(
        kwargs=lambda t: {"patient_pk": t.patient.pk}, expect=BILLING_PAGE, tamper=False
    ),
    # reports: aggregates of the patients each may see (reports/tests walk every report) -------
    "reports:index": Row(expect={**CLINICAL_REPORT, BILLING: 200}),
    "reports:report": Row(
        kwargs=lambda t: {"slug": "top-diagnoses"}, expect=CLINICAL_REPORT, tamper=False
    ),
    "reports:dashboard": Row(expect=statuses(403, administrator=200)),
    "reports:dashboard_tiles": Row(expect=statuses(403, administrator=200)),
    # fhir: errors are OperationOutcome (401 signed out, not a sign-in redirect) ------------
    "fhir:base": Row(expect=statuses(404, anonymous=404)),
    "fhir:metadata": Row(expect=statuses(200, anonymous=200), notes="the capability statement"),
    "fhir:unknown": Row(
        kwargs=lambda t: {"path": f"Patient/{t.patient.pk}/_history"},
        expect=statuses(404, anonymous=404),
        tamper=False,
    ),
    "fhir:search": Row(
        kwargs=lambda t: {"resource_type": "Patient"},
        expect=statuses(200, anonymous=401, outsider=403),
        tamper=False,
        notes="each persona's own scope (visible_to)",
    ),
    "fhir:read": Row(
        kwargs=lambda t: {"resource_type": "Patient", "ident": str(t.patient.pk)},
        expect=patient_page(allowed=SEES_PATIENT, anonymous=401, outsider=403),
    ),
    "fhir:everything": Row(
        kwargs=lambda t: {"ident": str(t.patient.pk)},
        expect=patient_page(allowed=SEES_PATIENT, anonymous=401, outsider=403),
    ),
    "fhir:export": Row(
        expect=statuses(403, anonymous=401, administrator=400),
        notes="administrators; 400 without 'Prefer: respond-async'",
    ),
    "fhir:export_status": Row(
        kwargs=lambda t: {"job_id": NO_EXPORT},
        expect=statuses(403, anonymous=401, administrator=404),
        tamper=False,
    ),
    "fhir:export_file": Row(
        kwargs=lambda t: {"job_id": NO_EXPORT, "resource_type": "Patient"},
        expect=statuses(403, anonymous=401, administrator=404),
        tamper=False,
    ),
    # interop: remote monitoring devices of one patient ---------------------------------------
    "interop:devices": Row(
        kwargs=lambda t: {"patient_pk": t.patient.pk}, expect=patient_page(allowed=CLINICIANS)
    ),
    "interop:device_revoke": Row(
        kwargs=lambda t: {"patient_pk": t.patient.pk, "device_pk": 1},
        expect=statuses(405),
        tamper=False,
        notes="POST only",
    ),
    # portal: the patient's pages -------------------------------------------------------------
    "portal:home": Row(expect=PORTAL_PAGE),
    "portal:switch": Row(expect=statuses(405), notes="POST only: the record switcher"),
    "portal:visits": Row(expect=PORTAL_PAGE),
    "portal:visit": Row(
        kwargs=lambda t: {"encounter_pk": t.encounter.pk},
        expect=PORTAL_RECORD,
        tamper_as=PORTAL_READERS,
    ),
    "portal:results": Row(expect=PORTAL_PAGE),
    "portal:medications": Row(expect=PORTAL_PAGE),
    "portal:vaccinations": Row(expect=PORTAL_PAGE),
    "portal:vaccination": Row(
        kwargs=lambda t: {"event_id": t.vaccination_id},
        expect=PORTAL_RECORD,
        tamper_as=PORTAL_READERS,
    ),
    "portal:notes": Row(expect=PORTAL_PAGE),
    "portal:note": Row(
        kwargs=lambda t: {"note_id": t.note_id}, expect=PORTAL_RECORD, tamper_as=PORTAL_READERS
    ),
    "portal:bills": Row(expect=PORTAL_PAGE),
    "portal:bill": Row(
        kwargs=lambda t: {"bill_pk": t.bill.pk}, expect=PORTAL_RECORD, tamper_as=PORTAL_READERS
    ),
    "portal:access_log": Row(expect=PORTAL_PAGE),
    "portal:print": Row(expect=PORTAL_PAGE),
    "portal:details": Row(expect=PORTAL_PAGE),
    "portal:change_request": Row(
        kwargs=lambda t: {"kind": "phone"}, expect=PORTAL_PAGE, tamper=False, notes="no ids"
    ),
    "portal:password_change": Row(expect=PORTAL_PAGE),
    "portal:password_done": Row(expect=PORTAL_PAGE),
    "portal:activate": Row(
        kwargs=lambda t: {"token": _open_invitation_token()},
        expect=statuses(200, anonymous=200),
        tamper=False,
        notes="reached with the letter's link, signed out; signed in: asked to sign out first",
    ),
    # portal: front desk ----------------------------------------------------------------------
    "portal:invitation": Row(kwargs=_patient, expect=patient_page(allowed=REGISTRATION)),
    "portal:proxies": Row(kwargs=_patient, expect=patient_page(allowed=REGISTRATION)),
    "portal:proxy_revoke": Row(
        kwargs=lambda t: {"pk": t.patient.pk, "access_pk": t.proxy_access.pk},
        expect=statuses(405),
        tamper=False,
        notes="POST only: the End now button of the proxies page",
    ),
    "portal:review_queue": Row(expect=statuses(403, front_desk=200, administrator=200)),
    "portal:review": Row(
        kwargs=lambda t: {"request_pk": t.change_request.pk},
        expect=statuses(403, front_desk=200, administrator=200),
        tamper=False,
        notes="reviewers see every patient; everyone else is refused before the lookup",
    ),
    # scheduling: front desk (scheduling/views/desk.py) -------------------------------------
    "scheduling:index": Row(expect=SCHEDULE_READERS_PAGE),
    "scheduling:department_day": Row(
        kwargs=lambda t: {"pk": t.appointment.department.pk},
        expect=SCHEDULE_OF_OTHERS,
        tamper=False,
        notes="no patient in the URL; the personas' departments are not the appointment's",
    ),
    "scheduling:department_week": Row(
        kwargs=lambda t: {"pk": t.appointment.department.pk},
        expect=SCHEDULE_OF_OTHERS,
        tamper=False,
    ),
    "scheduling:provider_day": Row(
        kwargs=lambda t: {"pk": t.appointment.provider.pk},
        expect=SCHEDULE_OF_OTHERS,
        tamper=False,
        notes="the appointment's doctor is no persona and in no persona's department",
    ),
    "scheduling:provider_week": Row(
        kwargs=lambda t: {"pk": t.appointment.provider.pk},
        expect=SCHEDULE_OF_OTHERS,
        tamper=False,
    ),
    "scheduling:book": Row(
        expect=DESK_PAGE, notes="without ?patient= it asks the clerk to find the patient first"
    ),
    "scheduling:arrivals": Row(expect=DESK_PAGE),
    "scheduling:walk_in": Row(expect=DESK_PAGE, notes="without ?patient=: find the patient first"),
    "scheduling:request_queue": Row(expect=DESK_PAGE),
    "scheduling:request_decline": Row(
        kwargs=lambda t: {"request_pk": t.appointment_request.pk},
        expect=statuses(404, front_desk=200, administrator=200),
        notes="only who books sees the queue: a request does not exist for anyone else",
    ),
    "scheduling:appointment": Row(
        kwargs=_appointment,
        expect=APPOINTMENT_PAGE,
        notes="the care team sees its patient's appointment; patients use the portal (403)",
    ),
    "scheduling:reschedule": Row(kwargs=_appointment, expect=APPOINTMENT_DESK_PAGE),
    "scheduling:cancel": Row(kwargs=_appointment, expect=APPOINTMENT_DESK_PAGE),
    "scheduling:check_in": Row(
        kwargs=_appointment, expect=statuses(405), tamper=False, notes="POST only"
    ),
    # scheduling: clinicians (scheduling/views/clinician.py) and the portal's appointments -----
    "scheduling:start_visit": Row(
        kwargs=lambda t: {"pk": t.appointment.pk},
        expect=statuses(405),
        tamper=False,
        notes="POST only: the Start visit button of My day",
    ),
    "scheduling:my_calendar": Row(
        expect=statuses(403, attending_doctor=200, ward_nurse=200, doctor_elsewhere=200),
        notes="the signed-in provider's own appointments; who has no provider row gets 403",
    ),
    "portal:appointments": Row(expect=PORTAL_PAGE),
    "portal:appointment_request": Row(expect=PORTAL_PAGE),
    "portal:appointment_cancel": Row(
        kwargs=lambda t: {"appointment_pk": t.appointment.pk},
        expect=PORTAL_RECORD,
        tamper_as=PORTAL_READERS,
        notes="the confirmation page; an appointment of another record answers 404",
    ),
    "portal:appointment_request_withdraw": Row(
        kwargs=lambda t: {"request_pk": t.appointment_request.pk},
        expect=statuses(405),
        tamper=False,
        notes="POST only: the Withdraw button of the appointments page",
    ),
}
