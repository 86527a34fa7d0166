"""Code systems, and how PHMS values map to FHIR R4 codes."""

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
PROCESS_PRIORITY = "http://terminology.hl7.org/CodeSystem/processpriority"
SUBSCRIBER_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
SYNTHEA = "https://github.com/synthetichealth/synthea"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
NULL_FLAVOR_CODES = {"UNK", "ASKU", "OTH"}
VITAL_SIGNS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"

CONDITION_SYSTEMS = {"ICD-10": ICD10, "SNOMED-CT": SNOMED}

# VitalSigns field -> (LOINC code, display, UCUM unit, FHIR id part). Blood pressure is one
# panel (85354-9) with the systolic and diastolic components.
VITALS = {
    "heart_rate": ("8867-4", "Heart rate", "/min", "heart-rate"),
    "respiratory_rate": ("9279-1", "Respiratory rate", "/min", "respiratory-rate"),
    "temperature_c": ("8310-5", "Body temperature", "Cel", "temperature"),
    "spo2": ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", "spo2"),
    "weight_kg": ("29463-7", "Body weight", "kg", "weight"),
    "height_cm": ("8302-2", "Body height", "cm", "height"),
    "pain_score": ("72514-3", "Pain severity - 0-10 verbal numeric rating", "{score}", "pain"),
}
BLOOD_PRESSURE = ("85354-9", "Blood pressure panel with all children optional", "blood-pressure")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")

# Encounter class (PHMS) -> v3 ActCode.
ENCOUNTER_CLASS = {
    "ambulatory": ("AMB", "ambulatory"),
    "outpatient": ("AMB", "ambulatory"),
    "wellness": ("AMB", "ambulatory"),
    "urgentcare": ("AMB", "ambulatory"),
    "emergency": ("EMER", "emergency"),
    "inpatient": ("IMP", "inpatient encounter"),
    "home": ("HH", "home health"),
    "virtual": ("VR", "virtual"),
    "hospice": ("IMP", "inpatient encounter"),
    "snf": ("NONAC", "inpatient non-acute"),
    "nursing": ("AMB", "ambulatory"),
}
ENCOUNTER_STATUS = {
    "planned": "planned",
    "in_progress": "in-progress",
    "finished": "finished",
    "cancelled": "cancelled",
}
GENDER = {"F": "female", "M": "male", "O": "other", "U": "unknown"}
LAB_FLAG = {"N": ("N", "Normal"), "L": ("L", "Low"), "H": ("H", "High"), "A": ("A", "Abnormal")}
DIAGNOSIS_STATUS = {"active": "active", "resolved": "resolved"}
COVERAGE_RELATIONSHIP = {"self": "self", "spouse": "spouse", "guardian": "other", "other": "other"}
# Bill status -> Claim.status (the claim resource); the payment side is not a Claim's.
CLAIM_STATUS = {"draft": "draft", "cancelled": "cancelled"}
