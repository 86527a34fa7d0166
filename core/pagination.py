"""Paginators for lists that grow with the hospital."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    """Pages through at most the first `cap` rows, and counts no further than that.

    Counting every match of a broad search reads every matching row, so its cost grows
    with the table; counting up to `cap + 1` reads a bounded number. `more_than_cap` says
    whether matches were left out (the page asks the user to narrow the search).
    """

    def __init__(self, object_list, per_page, *, cap: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _bounded_count(self) -> int:
        # Which rows make up the first cap + 1 does not change how many there are: without
        # the order the database stops at cap + 1 instead of sorting every match first.
        return self.object_list.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._bounded_count, self.cap)

    @property
    def more_than_cap(self) -> bool:
        return self._bounded_count > self.cap
