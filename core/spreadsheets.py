"""CSV files that spreadsheets open safely."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula: quote it."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


class Echo:
    """A file-like object whose write() returns the line, for streaming `csv.writer` output."""

    def write(self, value):
        return value
