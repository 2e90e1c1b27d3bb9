"""Fixtures of the fault-injection tests: one private PostgreSQL cluster per module, a fresh stack per test.

The cluster is migrated once into a template database; each test gets a copy of it (CREATE DATABASE ...
TEMPLATE, a second), its own Redis server, simulator, workers and beat, all torn down after it, failed or
not. A failing test's report ends with the tail of every process's log.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import REQUIRE_SERVICES

from .harness import PostgresCluster, missing_binaries
from .stack import Stack, child_environment, run_python

TEMPLATE = "vatcrm_template"
# Counterparties per run: a wave of about ten seconds on two cores, long enough for a fault to land mid-way.
COUNT = 400


@pytest.fixture(scope="module")
def private_cluster() -> Iterator[PostgresCluster]:
    missing = missing_binaries()
    if missing:
        message = "the fault-injection tests start their own servers and need " + ", ".join(missing)
        pytest.fail(message) if REQUIRE_SERVICES else pytest.skip(message)
    directory = Path(tempfile.mkdtemp(prefix="vatcrm-faults-"))
    cluster = PostgresCluster(directory)
    try:
        cluster.create()
        with psycopg.connect(cluster.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
        env = child_environment(DATABASE_URL=cluster.url(TEMPLATE), EMAIL_FILE_PATH=str(directory))
        run_python(env, "manage.py", "migrate", "--noinput", "--verbosity", "0")
        yield cluster
    finally:
        cluster.destroy()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def stack(private_cluster: PostgresCluster, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Stack]:
    name = "fault_" + request.node.name.removeprefix("test_")[:40]
    stack = Stack(cluster=private_cluster, template=TEMPLATE, directory=tmp_path, name=name, count=COUNT)
    try:
        yield stack
    finally:
        stack.down()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    report = yield
    stack = getattr(item, "funcargs", {}).get("stack")
    if report.failed and isinstance(stack, Stack):
        report.sections.append(("logs of the processes", stack.logs.tails()))
    return report
