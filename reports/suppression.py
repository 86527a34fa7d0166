"""Small-cell suppression: a count of fewer patients than REPORT_MIN_CELL_SIZE (default 11,
as in CMS's cell-size rule) is shown as "<11" to everyone but administrators, on screen, in
charts (not drawn) and in CSV, so that a report can be shared without identifying anyone.

Zero is shown: it identifies nobody. A value that depends on a suppressed count (the
diagnoses, bills or amounts of that row) is hidden with it, and a row's total is hidden
when any of its cells is, so that no hidden cell can be worked out by subtraction.
"""

import pandas as pd


def marker(threshold: int) -> str:
    return f"<{threshold}"


def is_small(value, threshold: int) -> bool:
    return isinstance(value, int | float) and not pd.isna(value) and 0 < value < threshold


def suppress_rows(
    frame: pd.DataFrame, *, threshold: int, count="patients", dependent=()
) -> pd.DataFrame:
    """Each row whose `count` of patients is small shows the marker there and in `dependent`."""
    small = frame[count].map(lambda value: is_small(value, threshold))
    if not small.any():
        return frame
    shown = frame.astype(dict.fromkeys((count, *dependent), object))
    for column in (count, *dependent):
        shown.loc[small, column] = marker(threshold)
    return shown


def suppress_cells(
    frame: pd.DataFrame,
    *,
    threshold: int,
    columns,
    counts: pd.DataFrame | None = None,
    total: str | None = None,
) -> pd.DataFrame:
    """Each cell of `columns` whose count of patients (in `counts`, a frame of the same shape,
    or the cell itself) is small shows the marker; so does the row's `total` if any did."""
    columns = list(columns)
    source = frame if counts is None else counts
    mask = source[columns].map(lambda value: is_small(value, threshold))
    if not mask.to_numpy().any():
        return frame
    targets = [*columns, *([total] if total else [])]
    shown = frame.astype(dict.fromkeys(targets, object))
    for column in columns:
        shown.loc[mask[column], column] = marker(threshold)
    if total:
        shown.loc[mask.any(axis=1), total] = marker(threshold)
    return shown


def numeric(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """A copy for drawing: suppressed cells become missing (not drawn)."""
    drawn = frame.copy()
    for column in columns:
        drawn[column] = pd.to_numeric(drawn[column], errors="coerce")
    return drawn
