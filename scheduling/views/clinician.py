"""The clinician's scheduling actions (being built)."""

from django.http import Http404


def start_visit(request, **kwargs):
    raise Http404


def my_calendar(request, **kwargs):
    raise Http404
