"""The daily digest runs: what lets the sweep finish a run that stopped before every digest went out."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.vocabulary import when


class DigestRun(models.Model):
    """One daily digest run: it sends the digest rows due at `started_at`.

    A run that stops before it is through (its time budget spent, Celery's time limit, a killed worker)
    stays unfinished; the beat sweep resumes it (services/digests.py), so the members it had not reached
    yet get their digest minutes later, not a day later.
    """

    started_at = models.DateTimeField(default=timezone.now, verbose_name=_("started at"))
    # Set when the run returns or raises; still empty if its process was killed.
    stopped_at = models.DateTimeField(null=True, blank=True, verbose_name=_("stopped at"))
    finished = models.BooleanField(default=False, verbose_name=_("finished"))

    class Meta:
        verbose_name = _("digest run")
        verbose_name_plural = _("digest runs")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["started_at"], condition=models.Q(finished=False), name="digest_run_open")]

    def __str__(self) -> str:
        state = _("finished") if self.finished else (_("stopped") if self.stopped_at else _("running"))
        return _("Digest run of %(when)s (%(state)s)") % {"when": when(self.started_at), "state": state}
