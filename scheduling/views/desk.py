"""Schedules and the front desk's pages (being built)."""

from django.http import Http404


def index(request, **kwargs):
    raise Http404


def department_day(request, **kwargs):
    raise Http404


def department_week(request, **kwargs):
    raise Http404


def provider_day(request, **kwargs):
    raise Http404


def provider_week(request, **kwargs):
    raise Http404


def book(request, **kwargs):
    raise Http404


def arrivals(request, **kwargs):
    raise Http404


def walk_in(request, **kwargs):
    raise Http404


def request_queue(request, **kwargs):
    raise Http404


def request_decline(request, **kwargs):
    raise Http404


def appointment_detail(request, **kwargs):
    raise Http404


def reschedule(request, **kwargs):
    raise Http404


def cancel(request, **kwargs):
    raise Http404


def check_in(request, **kwargs):
    raise Http404
