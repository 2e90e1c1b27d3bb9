from __future__ import annotations

import io

import pytest

from imports.services import job_stage

from .factories import ImportJobFactory


def stage(workspace, data: bytes, filename: str = "book.csv", user=None):
    """Stage an upload as the view does; returns the job (raises UnreadableFile)."""
    return job_stage(workspace=workspace, user=user, fileobj=io.BytesIO(data), filename=filename)


@pytest.fixture
def import_job(owner):
    return ImportJobFactory(workspace=owner.workspace, created_by=owner.user)
