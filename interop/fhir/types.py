"""The resource types the server offers: their search parameters, who may read them, and
where their rows come from. The views stay thin; access follows the chart's predicates."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q

from access import permissions
from patients.models import Patient

from . import codes, resources, selectors
from .search import (
    FhirError,
    codings_of,
    date_matches,
    invalid,
    parse_date_param,
    parse_token,
    reference_id,
    token_matches,
)


@dataclass(frozen=True)
class Param:
    kind: str  # "token", "date" or "reference"
    values: Callable[[dict], list] = lambda resource: []
    documentation: str = ""


def _status(element: str) -> Callable[[dict], list]:
    return lambda r: [("", r[element])] if element in r else []


def _concept(element: str) -> Callable[[dict], list]:
    return lambda r: codings_of(r.get(element))


def _date(*elements: str) -> Callable[[dict], list]:
    def values(resource):
        found = []
        for element in elements:
            value = resource
            for part in element.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if value:
                found.append(value)
        return found

    return values


EXPORT_CHUNK = 2000
PATIENT_REFERENCE = Param("reference", documentation="The patient: Patient/<id> or <id>.")


def _condition(param: Param, value: str):
    """One parameter value (commas: any of them) as a test of a resource; a bad date is
    the caller's error, raised here, before any resource is looked at."""
    alternatives = value.split(",")
    if param.kind == "token":
        tokens = [parse_token(v) for v in alternatives]
        return lambda resource: token_matches(tokens, param.values(resource))
    wanted = [parse_date_param(v) for v in alternatives]
    return lambda resource: any(
        date_matches(prefix, span, have)
        for prefix, span in wanted
        for have in param.values(resource)
    )


def filter_resources(resources_list: list[dict], params: dict[str, Param], query) -> list[dict]:
    """The resources that pass every token and date parameter of the query (repeats: all)."""
    conditions = [
        _condition(params[name], value)
        for name, values in query.values.items()
        if params[name].kind in ("token", "date")
        for value in values
    ]
    return [r for r in resources_list if all(test(r) for test in conditions)]


@dataclass
class ResourceType:
    name: str
    params: dict[str, Param] = field(default_factory=dict)
    patient_params: tuple[str, ...] = ("patient",)
    # (user, patient) -> may this user read this type of this patient's data?
    allowed: Callable = permissions.can_view_clinical
    profile: str = ""

    def may_read(self, user, patient) -> bool:
        return self.allowed(user, patient)

    def resources_of(self, patient_pk: int, query=None) -> list[dict]:
        raise NotImplementedError

    def patient_of(self, ident: str) -> int | None:
        """The patient a resource with this id belongs to (None: no such resource)."""
        raise NotImplementedError

    def resource(self, ident: str, patient_pk: int) -> dict | None:
        for resource in self.resources_of(patient_pk):
            if resource["id"] == ident:
                return resource
        return None

    def resources_of_patients(self, patient_pks: list[int]):
        """Every resource of these patients, unfiltered (the bulk export), as an iterator."""
        raise NotImplementedError


def clinical_or_own(user, patient) -> bool:
    """The chart's rule for clinical data, and a patient's own record in the portal."""
    return permissions.can_view_clinical(user, patient) or permissions.can_view_own_record(
        user, patient
    )


def _pk(ident: str) -> int | None:
    return int(ident) if ident.isdigit() and len(ident) < 12 else None


class RowType(ResourceType):
    """A type with one resource per row of one model."""

    def __init__(self, name, *, rows, build, patient_path, params, **kwargs):
        super().__init__(name, params=params, **kwargs)
        self.rows = rows  # patient pk -> queryset
        self.build = build  # row -> resource
        self.patient_path = patient_path  # lookup from the row to the patient's pk

    def resources_of(self, patient_pk, query=None):
        built = [self.build(row) for row in self.rows(patient_pk)]
        return filter_resources(built, self.params, query) if query else built

    def patient_of(self, ident):
        pk = _pk(ident)
        if pk is None:
            return None
        model = self.rows(0).model
        return model.objects.filter(pk=pk).values_list(self.patient_path, flat=True).first()

    def resource(self, ident, patient_pk):
        row = self.rows(patient_pk).filter(pk=_pk(ident)).first()
        return self.build(row) if row is not None else None

    def resources_of_patients(self, patient_pks):
        for row in self.rows(patient_pks).iterator(chunk_size=EXPORT_CHUNK):
            yield self.build(row)


class ObservationType(ResourceType):
    """Vital signs (one VitalSigns row gives one Observation per value) and lab results."""

    def resources_of(self, patient_pk, query=None):
        categories = None
        if query and query.values.get("category"):
            categories = {
                code
                for value in query.values["category"]
                for _, code in map(parse_token, value.split(","))
            }
        built = []
        if categories is None or "vital-signs" in categories:
            for vitals in selectors.vital_signs_of(patient_pk):
                built += resources.vital_sign_observations(vitals)
        if categories is None or "laboratory" in categories:
            built += [resources.lab_observation(r) for r in selectors.lab_results_of(patient_pk)]
        built.sort(key=lambda r: r.get("effectiveDateTime", ""), reverse=True)
        return filter_resources(built, self.params, query) if query else built

    def patient_of(self, ident):
        kind, _, rest = ident.partition("-")
        pk = _pk(rest.split("-", 1)[0])
        if pk is None:
            return None
        if kind == "vitals":
            rows = selectors.vital_signs_of
        elif kind == "lab":
            rows = selectors.lab_results_of
        else:
            return None
        return (
            rows(0)
            .model.objects.filter(pk=pk)
            .values_list("encounter__patient_id", flat=True)
            .first()
        )

    def resource(self, ident, patient_pk):
        kind, _, rest = ident.partition("-")
        pk = _pk(rest.split("-", 1)[0])
        if kind == "lab":
            row = selectors.lab_results_of(patient_pk).filter(pk=pk).first()
            return resources.lab_observation(row) if row else None
        row = selectors.vital_signs_of(patient_pk).filter(pk=pk).first()
        if row is None:
            return None
        return next((o for o in resources.vital_sign_observations(row) if o["id"] == ident), None)

    def resources_of_patients(self, patient_pks):
        for vitals in selectors.vital_signs_of(patient_pks).iterator(chunk_size=EXPORT_CHUNK):
            yield from resources.vital_sign_observations(vitals)
        for result in selectors.lab_results_of(patient_pks).iterator(chunk_size=EXPORT_CHUNK):
            yield resources.lab_observation(result)


class ImmunizationType(ResourceType):
    """Vaccination events of the document store (ids `<patient>-<event>`)."""

    def resources_of(self, patient_pk, query=None):
        built = [
            resources.immunization_resource(patient_pk, event)
            for event in selectors.vaccinations_of(patient_pk)
        ]
        return filter_resources(built, self.params, query) if query else built

    def patient_of(self, ident):
        return _pk(ident.split("-", 1)[0])

    def resources_of_patients(self, patient_pks):
        for patient_pk, events in selectors.vaccinations_of_patients(patient_pks).items():
            for event in events:
                yield resources.immunization_resource(patient_pk, event)


class PatientType(ResourceType):
    """Patients: the one type searched across the user's scope (`visible_to`)."""

    def patient_of(self, ident):
        return _pk(ident)

    def resources_of(self, patient_pk, query=None):
        patient = Patient.objects.filter(pk=patient_pk).first()
        return [resources.patient_resource(patient)] if patient else []

    def resources_of_patients(self, patient_pks):
        for patient in Patient.objects.filter(pk__in=patient_pks).order_by("pk"):
            yield resources.patient_resource(patient)

    def search(self, user, query):
        patients = Patient.objects.visible_to(user)
        for name, values in query.values.items():
            for value in values:
                patients = patients.filter(self._condition(name, value))
        return patients.order_by("last_name", "first_name", "pk")

    def _condition(self, name, value) -> Q:
        condition = Q(pk__in=[])
        for alternative in value.split(","):
            condition |= self._one(name, alternative.strip())
        return condition

    def _one(self, name, value) -> Q:
        if name == "_id":
            pk = _pk(value)
            return Q(pk=pk) if pk is not None else Q(pk__in=[])
        if name == "identifier":
            system, code = parse_token(value)
            if system in (None, ""):
                return Q(mrn=code) | Q(external_id=code)
            if system == settings.FHIR_MRN_SYSTEM:
                return Q(mrn=code)
            if system == codes.SYNTHEA:
                return Q(external_id=code)
            return Q(pk__in=[])
        if name in ("name", "family", "given"):
            fields = {
                "name": ("first_name", "middle_name", "last_name"),
                "family": ("last_name",),
                "given": ("first_name", "middle_name"),
            }[name]
            condition = Q(pk__in=[])
            for column in fields:
                condition |= Q(**{f"{column}__istartswith": value})
            return condition
        if name == "birthdate":
            prefix, wanted = parse_date_param(value)
            start, end = wanted.start.date(), wanted.end.date()
            return {
                "eq": Q(date_of_birth__gte=start, date_of_birth__lt=end),
                "lt": Q(date_of_birth__lt=start),
                "le": Q(date_of_birth__lt=end),
                "gt": Q(date_of_birth__gte=end),
                "ge": Q(date_of_birth__gte=start),
            }[prefix]
        if name == "gender":
            sexes = [sex for sex, gender in codes.GENDER.items() if gender == value]
            if not sexes:
                raise invalid(f"gender must be male, female, other or unknown, not {value!r}.")
            return Q(sex__in=sexes)
        raise invalid(f"Search parameter {name} is not supported.")


class PractitionerType(ResourceType):
    """The provider directory: no patient data, readable by anyone with a role."""

    def search(self, user, query):
        providers = selectors.practitioners()
        for name, values in query.values.items():
            for value in values:
                condition = Q(pk__in=[])
                for alternative in value.split(","):
                    alternative = alternative.strip()
                    if name == "_id":
                        condition |= Q(pk=_pk(alternative)) if _pk(alternative) else Q(pk__in=[])
                    elif name == "identifier":
                        system, code = parse_token(alternative)
                        if system in (None, "", settings.FHIR_PROVIDER_SYSTEM) and _pk(code):
                            condition |= Q(pk=_pk(code))
                        if system in (None, "", codes.SYNTHEA):
                            condition |= Q(external_id=code)
                    else:
                        condition |= Q(last_name__istartswith=alternative)
                        if name == "name":
                            condition |= Q(first_name__istartswith=alternative)
                providers = providers.filter(condition)
        return providers

    def read(self, ident):
        pk = _pk(ident)
        provider = selectors.practitioners().filter(pk=pk).first() if pk else None
        return resources.practitioner_resource(provider) if provider else None


CODED = "token"
DATE = "date"


def _types() -> dict[str, ResourceType]:
    observation_params = {
        "patient": PATIENT_REFERENCE,
        "subject": PATIENT_REFERENCE,
        "category": Param(CODED, _concept("category"), "vital-signs or laboratory"),
        "code": Param(CODED, _concept("code"), "LOINC code (system|code or code)"),
        "date": Param(
            DATE, _date("effectiveDateTime"), "when it was measured (eq, lt, le, gt, ge)"
        ),
    }
    types = [
        PatientType(
            "Patient",
            params={
                "_id": Param(CODED),
                "identifier": Param(CODED, documentation="MRN, or Synthea id"),
                "name": Param("string", documentation="start of a given, middle or family name"),
                "family": Param("string"),
                "given": Param("string"),
                "birthdate": Param(DATE),
                "gender": Param(CODED),
            },
            allowed=permissions.can_view_demographics,
            profile="us-core-patient",
        ),
        RowType(
            "Encounter",
            rows=selectors.encounters_of,
            build=lambda e: resources.encounter_resource(e, e.care_assignments.all()),
            patient_path="patient_id",
            params={
                "patient": PATIENT_REFERENCE,
                "subject": PATIENT_REFERENCE,
                "date": Param(DATE, _date("period.start")),
                "status": Param(CODED, _status("status")),
                "class": Param(CODED, lambda r: [(r["class"]["system"], r["class"]["code"])]),
            },
            allowed=clinical_or_own,
            profile="us-core-encounter",
        ),
        ObservationType(
            "Observation",
            params=observation_params,
            patient_params=("patient", "subject"),
            allowed=clinical_or_own,
            profile="us-core-observation-lab",
        ),
        RowType(
            "Condition",
            rows=selectors.diagnoses_of,
            build=resources.condition_resource,
            patient_path="encounter__patient_id",
            params={
                "patient": PATIENT_REFERENCE,
                "subject": PATIENT_REFERENCE,
                "code": Param(CODED, _concept("code")),
                "clinical-status": Param(CODED, _concept("clinicalStatus")),
                "onset-date": Param(DATE, _date("onsetDateTime")),
            },
            allowed=clinical_or_own,
            profile="us-core-condition-encounter-diagnosis",
        ),
        RowType(
            "MedicationRequest",
            rows=selectors.prescriptions_of,
            build=resources.medication_request_resource,
            patient_path="encounter__patient_id",
            params={
                "patient": PATIENT_REFERENCE,
                "subject": PATIENT_REFERENCE,
                "status": Param(CODED, _status("status")),
                "intent": Param(CODED, _status("intent")),
                "code": Param(CODED, _concept("medicationCodeableConcept")),
                "authoredon": Param(DATE, _date("authoredOn")),
            },
            allowed=clinical_or_own,
            profile="us-core-medicationrequest",
        ),
        RowType(
            "AllergyIntolerance",
            rows=selectors.allergies_of,
            build=resources.allergy_resource,
            patient_path="patient_id",
            params={
                "patient": PATIENT_REFERENCE,
                "clinical-status": Param(CODED, _concept("clinicalStatus")),
                "code": Param(CODED, _concept("code")),
            },
            allowed=clinical_or_own,
            profile="us-core-allergyintolerance",
        ),
        ImmunizationType(
            "Immunization",
            params={
                "patient": PATIENT_REFERENCE,
                "date": Param(DATE, _date("occurrenceDateTime")),
                "status": Param(CODED, _status("status")),
                "vaccine-code": Param(CODED, _concept("vaccineCode")),
            },
            allowed=clinical_or_own,
            profile="us-core-immunization",
        ),
        PractitionerType(
            "Practitioner",
            params={
                "_id": Param(CODED),
                "identifier": Param(CODED),
                "name": Param("string"),
                "family": Param("string"),
            },
            profile="us-core-practitioner",
        ),
        RowType(
            "Coverage",
            rows=selectors.coverages_of,
            build=resources.coverage_resource,
            patient_path="patient_id",
            params={
                "patient": PATIENT_REFERENCE,
                "beneficiary": PATIENT_REFERENCE,
                "status": Param(CODED, _status("status")),
            },
            patient_params=("patient", "beneficiary"),
            allowed=permissions.can_view_demographics,
            profile="us-core-coverage",
        ),
        RowType(
            "Claim",
            rows=selectors.bills_of,
            build=resources.claim_resource,
            patient_path="patient_id",
            params={
                "patient": PATIENT_REFERENCE,
                "status": Param(CODED, _status("status")),
                "created": Param(DATE, _date("created")),
            },
            allowed=permissions.can_view_bills,
        ),
    ]
    return {t.name: t for t in types}


RESOURCE_TYPES = _types()
# What $everything and the bulk export gather for a patient, in this order.
PATIENT_COMPARTMENT = (
    "Encounter",
    "Observation",
    "Condition",
    "MedicationRequest",
    "AllergyIntolerance",
    "Immunization",
    "Coverage",
    "Claim",
)


def patient_id_of(query, resource_type: ResourceType) -> str:
    """The patient a type search is about; clinical searches always name one."""
    given = [name for name in resource_type.patient_params if query.first(name)]
    if not given:
        names = " or ".join(resource_type.patient_params)
        raise FhirError(
            400,
            "required",
            f"Searching {resource_type.name} needs a {names} parameter "
            "(administrators export every record with $export).",
        )
    values = query.values[given[0]]
    if len(values) > 1 or "," in values[0] or len(given) > 1:
        raise invalid("Search one patient at a time.")
    return reference_id(values[0], "Patient")
