"""Per-file counters and the closing summary table."""

import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PossibleDuplicate:
    """An imported patient who may be one already on file (listed for review, not merged)."""

    imported: str
    existing: str
    points: int
    matched: tuple[str, ...]

    @classmethod
    def of(cls, patient, candidate) -> "PossibleDuplicate":
        return cls(
            imported=str(patient),
            existing=str(candidate.patient),
            points=candidate.score.points,
            matched=tuple(candidate.score.matched),
        )

    def __str__(self):
        return (
            f"{self.imported} may be {self.existing}: score {self.points} "
            f"({', '.join(self.matched)})"
        )


@dataclass
class FileStats:
    name: str
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    skip_reasons: Counter = field(default_factory=Counter)
    possible_duplicates: list["PossibleDuplicate"] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    elapsed: float = 0.0

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped += count
        self.skip_reasons[reason] += count

    def finish(self) -> None:
        self.elapsed = time.perf_counter() - self.started

    @property
    def unaccounted(self) -> int:
        """Rows read that no counter holds: 0 when the file adds up."""
        return self.read - (
            self.created + self.updated + self.unchanged + self.skipped + self.rejected
        )

    @property
    def rows_per_second(self) -> float:
        return self.read / self.elapsed if self.elapsed > 0 else 0.0


COLUMNS = (
    "file",
    "read",
    "created",
    "updated",
    "unchanged",
    "skipped",
    "rejected",
    "elapsed s",
    "rows/s",
)


def format_summary(stats: list[FileStats], *, first_column: str = "file") -> str:
    rows = [
        (
            s.name,
            s.read,
            s.created,
            s.updated,
            s.unchanged,
            s.skipped,
            s.rejected,
            f"{s.elapsed:.2f}",
            f"{s.rows_per_second:,.0f}",
        )
        for s in stats
    ]
    total_read = sum(s.read for s in stats)
    total_time = sum(s.elapsed for s in stats)
    rows.append(
        (
            "total",
            total_read,
            sum(s.created for s in stats),
            sum(s.updated for s in stats),
            sum(s.unchanged for s in stats),
            sum(s.skipped for s in stats),
            sum(s.rejected for s in stats),
            f"{total_time:.2f}",
            f"{(total_read / total_time if total_time else 0):,.0f}",
        )
    )
    header = (first_column, *COLUMNS[1:])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for index, row in enumerate([header, *rows]):
        cells = [
            str(v).ljust(w) if i == 0 else str(v).rjust(w)
            for i, (v, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells))
        if index == 0 or index == len(rows) - 1:
            lines.append("  ".join("-" * w for w in widths))
    reasons = [
        f"  {s.name}: {count} {reason}"
        for s in stats
        for reason, count in sorted(s.skip_reasons.items(), key=lambda item: -item[1])
    ]
    if reasons:
        lines += ["", "skipped rows, by reason:", *reasons]
    unbalanced = [f"  {s.name}: {s.unaccounted} row(s)" for s in stats if s.unaccounted]
    if unbalanced:
        lines += ["", "rows read but not accounted for (a bug: please report it):", *unbalanced]
    return "\n".join(lines)


def format_possible_duplicates(stats: list[FileStats]) -> str:
    """The report's list of possible duplicates, or "" when there are none."""
    found = [duplicate for s in stats for duplicate in s.possible_duplicates]
    if not found:
        return ""
    lines = [f"Possible duplicate patients ({len(found)}), not merged; review them:"]
    lines += [f"  {duplicate}" for duplicate in found]
    return "\n".join(lines)
