"""The original design's MongoDB queries, answered across both stores.

Demographics, addresses and insurance live only in SQL; the document store only knows
patient ids. Every selector returns a queryset of live patients, so soft-deleting a
patient hides its documents here and restoring it shows them again, without writing to
the document store. Any selector that reads documents raises
`core.documents.DocumentStoreUnavailable` when the store is down.
"""

from django.db.models import Q, QuerySet

from core import documents
from patients.document_schemas import VaccinationStatus, normalize_cvx
from patients.models import Coverage, Patient, Symptom
from patients.notes import SearchMode, search_regex

# CVX codes of COVID-19 vaccines (CDC CVX table: 207-213, 217-221, 225-230, 300-313).
COVID19_CVX_CODES = frozenset(
    normalize_cvx(code)
    for code in (
        207, 208, 210, 211, 212, 213, 217, 218, 219, 221, 225, 226, 227, 228, 229, 230,
        300, 301, 302, 308, 309, 310, 311, 312, 313,
    )
)
# CVX codes of influenza vaccines (seasonal, high-dose, adjuvanted, recombinant, live).
INFLUENZA_CVX_CODES = frozenset(
    normalize_cvx(code)
    for code in (
        15, 16, 88, 111, 123, 125, 126, 127, 128, 135, 140, 141, 144, 149, 150, 151, 153,
        155, 158, 161, 166, 168, 171, 185, 186, 197, 200, 201, 202, 205, 231, 320,
    )
)
# A COVID-19 booster is a completed, not deleted COVID-19 event that is the third dose or
# later, or whose vaccine name says "booster". Code alone cannot tell: the same products
# (e.g. CVX 208, 300) serve as primary doses and boosters.
BOOSTER_FROM_DOSE = 3


def patients_in_state(state: str = "California") -> QuerySet:
    return Patient.objects.filter(state__iexact=state.strip())


def patients_with_insurer(payer_name: str = "Blue Cross Blue Shield") -> QuerySet:
    covered = Coverage.objects.filter(payer__name__iexact=payer_name.strip())
    return Patient.objects.filter(pk__in=covered.values("patient_id"))


def patients_with_covid19_booster() -> QuerySet:
    ids = {
        patient_id
        for patient_id, event in completed_vaccination_events(COVID19_CVX_CODES)
        if event["dose_number"] >= BOOSTER_FROM_DOSE or "booster" in event["vaccine"].lower()
    }
    return Patient.objects.filter(pk__in=ids)


def male_patients_with_covid19_or_influenza_vaccination() -> QuerySet:
    ids = {
        patient_id
        for patient_id, _event in completed_vaccination_events(
            COVID19_CVX_CODES | INFLUENZA_CVX_CODES
        )
    }
    return Patient.objects.filter(pk__in=ids, sex=Patient.Sex.MALE)


def patients_with_pain_symptoms(query: str = "pain", *, mode=SearchMode.KEYWORD) -> QuerySet:
    """Patients whose notes or recorded symptoms match, case-insensitively."""
    regex = search_regex(query, mode=mode)
    note_patient_ids = documents.embedded_matching_patients(
        documents.NOTES,
        field="text",
        pattern=regex,
        literal=query.strip() if mode == SearchMode.KEYWORD else None,
    )
    if note_patient_ids is None:
        with documents.store_errors():
            cursor = documents.collection(documents.NOTES).find(
                {"text": {"$regex": regex, "$options": "i"}}, {"patient_id": 1}
            )
            note_patient_ids = {document["patient_id"] for document in cursor}
    if mode == SearchMode.KEYWORD:
        symptom_match = Q(description__icontains=query.strip())
    else:
        symptom_match = Q(description__iregex=regex)
    symptom_patient_ids = Symptom.objects.filter(
        symptom_match, encounter__deleted_at__isnull=True
    ).values("encounter__patient_id")
    return Patient.objects.filter(Q(pk__in=note_patient_ids) | Q(pk__in=symptom_patient_ids))


def completed_vaccination_events(codes=None):
    """(patient id, event) for completed, not deleted events with a CVX code (one of
    `codes`, when given), one document at a time."""
    criteria = {}
    if codes is not None:
        criteria = {"events": {"$elemMatch": {"cvx_code": {"$in": sorted(codes)}}}}
    with documents.store_errors():
        cursor = documents.collection(documents.VACCINATIONS).find(
            criteria, {"patient_id": 1, "events": 1}
        )
        for document in cursor:
            for event in document.get("events", []):
                code = event.get("cvx_code")
                if (
                    code
                    and (codes is None or code in codes)
                    and event.get("status") == VaccinationStatus.COMPLETED
                    and event.get("deleted_at") is None
                ):
                    yield document["patient_id"], event
