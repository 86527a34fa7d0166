"""How a report's cells read: thousands separated, money to the cent, markers as they are."""

from decimal import Decimal

import numpy as np

from reports.templatetags.report_cells import is_figure, report_cell


def test_numbers_read_with_thousands_separated_whether_python_or_numpy():
    assert [report_cell(v) for v in (8610, np.int64(8610), Decimal("1234.5"), 42.25)] == [
        "8,610",
        "8,610",
        "1,234.50",
        "42.2",
    ]
    assert report_cell("<11") == "<11"
    assert report_cell("2026-03") == "2026-03"


def test_numbers_and_the_suppression_marker_align_right_and_words_do_not():
    assert [is_figure(v) for v in (3, np.int64(3), Decimal("1"), 0.5, "<11")] == [True] * 5
    assert [is_figure(v) for v in ("Hypertension", "2026-03", True)] == [False] * 3
