"""Import of Synthea CSV exports (see docs/synthea-import.md for the mapping)."""
