"""Small-cell suppression: fewer than the threshold of patients shows "<11"."""

import pandas as pd

from reports.suppression import numeric, suppress_cells, suppress_rows


def test_it_hides_small_counts_and_what_depends_on_them_but_shows_zero_and_large_counts():
    frame = pd.DataFrame(
        {"condition": ["A", "B", "C", "D"], "patients": [0, 1, 10, 11], "diagnoses": [0, 4, 30, 12]}
    )

    shown = suppress_rows(frame, threshold=11, dependent=["diagnoses"])

    assert shown["patients"].tolist() == [0, "<11", "<11", 11]
    assert shown["diagnoses"].tolist() == [0, "<11", "<11", 12]
    assert frame["patients"].tolist() == [0, 1, 10, 11]  # the input is left as it was


def test_a_row_total_is_hidden_when_any_of_its_cells_is():
    table = pd.DataFrame(
        {"year": ["1980", "1990"], "Female": [40, 3], "Male": [25, 30], "Total": [65, 33]}
    )

    shown = suppress_cells(table, threshold=11, columns=["Female", "Male"], total="Total")

    assert shown.to_dict("records") == [
        {"year": "1980", "Female": 40, "Male": 25, "Total": 65},
        {"year": "1990", "Female": "<11", "Male": 30, "Total": "<11"},
    ]


def test_cells_can_be_judged_by_a_count_of_patients_other_than_the_value_shown():
    encounters = pd.DataFrame({"month": ["2026-01"], "Inpatient": [40], "Wellness": [12]})
    patients = pd.DataFrame({"month": ["2026-01"], "Inpatient": [4], "Wellness": [12]})

    shown = suppress_cells(
        encounters, threshold=11, columns=["Inpatient", "Wellness"], counts=patients
    )

    assert shown.loc[0, "Inpatient"] == "<11"
    assert shown.loc[0, "Wellness"] == 12


def test_the_threshold_is_a_setting():
    frame = pd.DataFrame({"state": ["X"], "patients": [4]})

    assert suppress_rows(frame, threshold=5)["patients"].tolist() == ["<5"]
    assert suppress_rows(frame, threshold=4)["patients"].tolist() == [4]


def test_suppressed_cells_are_not_drawn():
    shown = pd.DataFrame({"state": ["X", "Y"], "patients": ["<11", 20]})

    assert numeric(shown, ["patients"])["patients"].isna().tolist() == [True, False]
