"""The chart-version triggers (migration 0002), shared with the migrations after it.

SQLite rebuilds a table to alter it, which drops the table's triggers: a later migration that
alters a charted table ends with `RecreateChartTriggers()`. The leading underscore keeps
Django's migration loader from reading this module as a migration.
"""

from django.db import migrations

# Tables whose rows a chart shows -> how a row names its patient.
VIA_ENCOUNTER = "(SELECT patient_id FROM patients_encounter WHERE id = {row}.encounter_id)"
PATIENT_TABLES = {
    "patients_patient": "{row}.id",
    "patients_emergencycontact": "{row}.patient_id",
    "patients_coverage": "{row}.patient_id",
    "patients_allergy": "{row}.patient_id",
    "patients_encounter": "{row}.patient_id",
    "patients_careassignment": VIA_ENCOUNTER,
    "patients_vitalsigns": VIA_ENCOUNTER,
    "patients_symptom": VIA_ENCOUNTER,
    "patients_diagnosis": VIA_ENCOUNTER,
    "patients_labresult": VIA_ENCOUNTER,
    "patients_prescription": VIA_ENCOUNTER,
}
# Catalogs whose names a chart shows; a change to one moves the single reference version.
REFERENCE_TABLES = [
    "patients_condition",
    "patients_labtest",
    "patients_medication",
    "patients_payer",
    "providers_organization",
    "providers_healthcareprovider",
    "providers_doctor",
    "providers_nurse",
]
# Reports key their cache on the sum of these counters (patients.DataVersion): every write to a
# patient table moves one of them, chosen by patient so that concurrent writers rarely wait
# on the same row.
DATA_VERSION_TABLE = "patients_dataversion"
DATA_VERSION_BUCKETS = 16
# Logins update auth_user.last_login; only a new username changes what a chart shows.
USERNAME_CHANGED = "NEW.username <> OLD.username"

EVENTS = {"INSERT": ["NEW"], "UPDATE": ["NEW", "OLD"], "DELETE": ["OLD"]}
# A fresh row starts at a random number so a cache never mistakes a re-created database's
# patient for an earlier one with the same id.
RANDOM_START = {"sqlite": "abs(random()) % 1000000000000", "mysql": "FLOOR(RAND() * 1000000000000)"}
NO_TABLE = {"sqlite": "", "mysql": " FROM DUAL"}
UPSERT_TAIL = {
    "sqlite": "ON CONFLICT({key}) DO UPDATE SET version = {table}.version + 1",
    "mysql": "ON DUPLICATE KEY UPDATE version = {table}.version + 1",
}


def _bump(vendor, table, key, value, condition="1 = 1"):
    return (
        f"INSERT INTO {table} ({key}, version) SELECT {value}, {RANDOM_START[vendor]}"
        f"{NO_TABLE[vendor]} WHERE {value} IS NOT NULL AND {condition} "
        + UPSERT_TAIL[vendor].format(key=key, table=table)
    )


def _trigger(vendor, name, event, table, statements, when=None):
    if vendor == "sqlite":
        when_clause = f" WHEN {when}" if when else ""
        body = "".join(f"{statement}; " for statement in statements)
        return f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when_clause} BEGIN {body}END"
    body = "; ".join(statements)
    if when:
        body = f"IF {when} THEN {body}; END IF"
    return f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {body}; END"


def trigger_names():
    for table in [*PATIENT_TABLES, *REFERENCE_TABLES]:
        for event in EVENTS:
            yield f"chartversion_{table}_{event.lower()}"
    yield "chartversion_auth_user_update"


def create_triggers(vendor, *, with_data_version=False):
    statements = []
    for table, patient_of in PATIENT_TABLES.items():
        for event, rows in EVENTS.items():
            new, *old = (patient_of.format(row=row) for row in rows)
            bumps = [_bump(vendor, "patients_chartversion", "patient_id", new)]
            if old:  # a row moved to another patient changes that patient's chart too
                condition = f"{old[0]} <> {new}"
                bumps.append(_bump(vendor, "patients_chartversion", "patient_id", old[0], condition))
            if with_data_version:
                bucket = f"({new}) % {DATA_VERSION_BUCKETS}"
                bumps.append(_bump(vendor, DATA_VERSION_TABLE, "bucket", bucket))
            statements.append(
                _trigger(vendor, f"chartversion_{table}_{event.lower()}", event, table, bumps)
            )
    reference_bump = _bump(vendor, "patients_referencedataversion", "id", "1")
    for table in REFERENCE_TABLES:
        for event in EVENTS:
            name = f"chartversion_{table}_{event.lower()}"
            statements.append(_trigger(vendor, name, event, table, [reference_bump]))
    statements.append(
        _trigger(
            vendor,
            "chartversion_auth_user_update",
            "UPDATE",
            "auth_user",
            [reference_bump],
            when=USERNAME_CHANGED,
        )
    )
    return statements


def initial_versions(vendor):
    return [
        _bump(vendor, "patients_referencedataversion", "id", "1"),
        f"INSERT INTO patients_chartversion (patient_id, version) "
        f"SELECT id, {RANDOM_START[vendor]} FROM patients_patient",
    ]


def _check_vendor(schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in RANDOM_START:
        raise RuntimeError(f"No chart-version triggers for the {vendor} database backend.")
    return vendor


def _has_data_version(schema_editor) -> bool:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        return DATA_VERSION_TABLE in connection.introspection.table_names(cursor)


def install(apps, schema_editor):
    vendor = _check_vendor(schema_editor)
    for statement in [*create_triggers(vendor), *initial_versions(vendor)]:
        schema_editor.execute(statement, params=None)


def drop(apps, schema_editor):
    for name in trigger_names():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)


def recreate(apps, schema_editor, *, with_data_version=None):
    vendor = _check_vendor(schema_editor)
    if with_data_version is None:
        with_data_version = _has_data_version(schema_editor)
    drop(apps, schema_editor)
    for statement in create_triggers(vendor, with_data_version=with_data_version):
        schema_editor.execute(statement, params=None)


def install_data_version(apps, schema_editor):
    vendor = _check_vendor(schema_editor)
    for bucket in range(DATA_VERSION_BUCKETS):
        schema_editor.execute(_bump(vendor, DATA_VERSION_TABLE, "bucket", str(bucket)), params=None)
    recreate(apps, schema_editor, with_data_version=True)


def drop_data_version(apps, schema_editor):
    recreate(apps, schema_editor, with_data_version=False)


def RecreateChartTriggers():  # noqa: N802 (reads as the migration operation it returns)
    return migrations.RunPython(recreate, recreate, atomic=False, elidable=False)


