"""Finding the patients a new or imported identity may already be.

Candidates come from three indexed lookups (the same or a near date of birth, the same
phonetic keys of the names in either order, the same SSN last four) and are then scored
by patients.matching; only scores of at least matching.POSSIBLE are returned.
"""

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Q

from patients import matching
from patients.matching import Identity, MatchScore
from patients.models import DuplicateReview, Patient

CANDIDATE_ROWS = 200
CANDIDATES_SHOWN = 10
# A name block this large says little (a very common name); find_duplicates skips it.
PAIR_BLOCK_LIMIT = 100
IDENTITY_COLUMNS = (
    "mrn", "first_name", "last_name", "maiden_name", "date_of_birth", "date_of_death", "sex",
    "ssn_last4", "phone", "postal_code", "family_name_key", "given_name_key",
)  # fmt: skip


@dataclass(frozen=True)
class Candidate:
    patient: Patient
    score: MatchScore


def _near_birth_dates(born: dt.date) -> list[dt.date]:
    dates = [born]
    try:
        swapped = born.replace(month=born.day, day=born.month)
    except ValueError:
        return dates
    return dates if swapped == born else [*dates, swapped]


def _blocks(identity: Identity) -> Q | None:
    blocks = []
    if identity.date_of_birth:
        blocks.append(Q(date_of_birth__in=_near_birth_dates(identity.date_of_birth)))
    family, given = matching.name_key(identity.last_name), matching.name_key(identity.first_name)
    if family and given:
        blocks.append(Q(family_name_key=family, given_name_key=given))
        blocks.append(Q(family_name_key=given, given_name_key=family))
    if identity.ssn_last4:
        blocks.append(Q(ssn_last4=identity.ssn_last4))
    if not blocks:
        return None
    either = blocks[0]
    for block in blocks[1:]:
        either |= block
    return either


def duplicate_candidates(
    identity: Identity,
    *,
    patients=None,
    exclude_ids: Iterable[int] = (),
    limit: int = CANDIDATES_SHOWN,
) -> list[Candidate]:
    """The best-scoring possible duplicates among `patients` (every live patient by default)."""
    where = _blocks(identity)
    if where is None:
        return []
    # The blocks are read without the soft-delete filter, whose index (nearly every row is
    # live) a planner without statistics would prefer to the block indexes; the rows found
    # are then narrowed to the scope by primary key.
    found_ids = list(
        Patient.all_objects.filter(where)
        .exclude(pk__in=list(exclude_ids))
        .order_by()
        .values_list("pk", flat=True)[:CANDIDATE_ROWS]
    )
    scope = Patient.objects.all() if patients is None else patients
    rows = scope.filter(pk__in=found_ids).only(*IDENTITY_COLUMNS).order_by()
    scored = [Candidate(row, matching.match_score(identity, Identity.of(row))) for row in rows]
    found = [candidate for candidate in scored if candidate.score.is_possible]
    found.sort(key=lambda candidate: (-candidate.score.points, candidate.patient.pk))
    return found[:limit]


@dataclass(frozen=True)
class DuplicatePair:
    first: Patient
    second: Patient
    score: MatchScore


def _pairs_in(block: list[Patient], seen: set) -> Iterator[DuplicatePair]:
    for index, first in enumerate(block):
        for second in block[index + 1 :]:
            key = (min(first.pk, second.pk), max(first.pk, second.pk))
            if key in seen:
                continue
            seen.add(key)
            score = matching.match_score(Identity.of(first), Identity.of(second))
            if score.is_possible:
                yield DuplicatePair(first, second, score)


def _blocked(order_by: tuple[str, ...], key) -> Iterator[list[Patient]]:
    block, current = [], None
    rows = Patient.objects.only(*IDENTITY_COLUMNS)  # a merged record is deleted: not here
    for patient in rows.order_by(*order_by, "pk").iterator(chunk_size=2000):
        value = key(patient)
        if value != current:
            if len(block) > 1:
                yield block
            block, current = [], value
        if len(block) <= PAIR_BLOCK_LIMIT:
            block.append(patient)
    if len(block) > 1:
        yield block


def likely_duplicate_pairs(*, min_points: int = matching.POSSIBLE) -> list[DuplicatePair]:
    """Pairs of live patients who may be one person, best first (`find_duplicates`).

    Patients are compared within blocks of the same date of birth and of the same phonetic
    name keys, read in index order; a block past PAIR_BLOCK_LIMIT is cut there. Pairs a
    clerk judged to be two people at registration (DuplicateReview) are left out.
    """
    seen = {
        (min(a, b), max(a, b))
        for a, b in DuplicateReview.objects.values_list("patient_id", "candidate_id")
    }
    pairs: list[DuplicatePair] = []
    blockings = (
        (("date_of_birth",), lambda p: p.date_of_birth),
        (("family_name_key", "given_name_key"), lambda p: (p.family_name_key, p.given_name_key)),
    )
    for order_by, key in blockings:
        for block in _blocked(order_by, key):
            pairs += (pair for pair in _pairs_in(block, seen) if pair.score.points >= min_points)
    pairs.sort(key=lambda pair: (-pair.score.points, pair.first.pk, pair.second.pk))
    return pairs
