"""Bulk export jobs: start (in a background thread of this process), run, cancel, expire."""

import logging
import shutil
import threading
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from interop.models import ExportJob

from .export import export_ndjson

log = logging.getLogger(__name__)
# A running job writes a heartbeat after each chunk; one silent this long died with its
# process (a restart, a killed worker).
STALE_AFTER = timedelta(minutes=10)


class ExportCancelled(Exception):
    pass


def export_directory(job) -> Path:
    return Path(settings.FHIR_EXPORT_DIR) / str(job.pk)


def export_job_start(*, user, types, request_url) -> ExportJob:
    job = ExportJob.objects.create(
        requested_by=user, types=",".join(types), request_url=request_url[:500]
    )
    if settings.FHIR_EXPORT_IN_THREAD:
        threading.Thread(target=_run_in_thread, args=(job.pk,), daemon=True).start()
    else:
        export_job_run(job.pk)
        job.refresh_from_db()
    return job


def _run_in_thread(job_pk) -> None:
    close_old_connections()
    try:
        export_job_run(job_pk)
    finally:
        connection.close()


def export_job_run(job_pk) -> None:
    job = ExportJob.objects.get(pk=job_pk)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, heartbeat_at=timezone.now()
    )

    def progress(done, total):
        updated = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
            patients_done=done, patients_total=total, heartbeat_at=timezone.now()
        )
        if not updated:
            raise ExportCancelled

    try:
        counts = export_ndjson(export_directory(job), types=job.type_list, on_progress=progress)
    except ExportCancelled:
        shutil.rmtree(export_directory(job), ignore_errors=True)
        return
    except Exception as error:  # the job reports it; the server goes on
        log.exception("fhir export %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED,
            error=f"{type(error).__name__}: {error}"[:500],
            finished_at=timezone.now(),
        )
        return
    ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.COMPLETED, counts=dict(counts), finished_at=timezone.now()
    )


def export_job_refresh(job) -> ExportJob:
    """The job as it stands; a running job whose heartbeat stopped is marked failed."""
    job.refresh_from_db()
    silent = job.heartbeat_at or job.created_at
    if job.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING) and (
        timezone.now() - silent > STALE_AFTER
    ):
        job.status = ExportJob.Status.FAILED
        job.error = "The export stopped (the server restarted); start it again."
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
    return job


def export_job_cancel(job) -> None:
    """Stop a running job and delete its files (FHIR Bulk Data: DELETE on the status URL)."""
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.CANCELLED, finished_at=timezone.now()
    )
    shutil.rmtree(export_directory(job), ignore_errors=True)


def jobs_of(user):
    return ExportJob.objects.filter(requested_by=user)
