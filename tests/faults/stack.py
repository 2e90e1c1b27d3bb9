"""One scenario's deployment: a database on the private cluster, its own Redis, the simulator, workers, beat.

The processes run the production settings (tests.faults.settings) with shortened timings (TIMINGS), so a
fault's whole story, from the kill to the last email, takes a minute or two instead of the production
figures that docs/reliability.md derives from the defaults. The test process starts the run the way beat
does (a `monitoring.fan_out` message), watches the private database with psycopg and never touches the
shared services.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
from celery import Celery

from monitoring.tasks import FAN_OUT_TASK
from verification.simulator import SimulatorServer

from .harness import ROOT, Child, Logs, PostgresCluster, RedisServer, celery_command, stop_all, wait_until
from .population import Member, population

# Seconds. Shorter than the defaults so a scenario fits in CI; the ratios between them are the defaults'.
TIMINGS = {
    "MONITORING_RECHECK_GRACE_SECONDS": "10",
    "MONITORING_RECHECK_SOFT_TIME_LIMIT": "12",
    "MONITORING_RECHECK_TIME_LIMIT": "15",
    "MONITORING_RECHECK_LEASE_SECONDS": "20",
    # "Longer than any retry window": a task gives up on the database after ~3 s (two retries, 1 s cap).
    "MONITORING_DB_RETRY_MAX_RETRIES": "2",
    "MONITORING_DB_RETRY_MAX_SECONDS": "1",
    "MONITORING_RETRY_BASE_SECONDS": "1",
    "MONITORING_RETRY_MAX_SECONDS": "2",
    "REGISTRY_SLOT_WAIT": "5",
    # CELERY_VISIBILITY_TIMEOUT stays at its default (an hour): recovery must not wait for Redis to redeliver.
}
LATENCY_MS = "50-75"  # per registry call: a wave lasts long enough for a fault to land in its middle
# Variables of the caller's environment that would point the children at other services or timings.
_NOT_INHERITED = ("DATABASE_", "REDIS_", "CELERY_", "MONITORING_", "NOTIFICATIONS_", "REGISTRY_", "VIES_", "EMAIL_")


def child_environment(**values: str) -> dict[str, str]:
    """The environment of every process a scenario starts: production settings on the private services."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(_NOT_INHERITED)}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.faults.settings",
        SECRET_KEY="fault-injection-tests-only-secret-key",
        DEBUG="0",  # production behaviour
        PUBLIC_BASE_URL="http://testserver",
        ALLOWED_HOSTS="testserver",
        REGISTRY_MODE="sandbox",
        LOG_LEVEL="INFO",
        **TIMINGS,
    )
    env.update(values)
    return env


def run_python(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode:
        raise RuntimeError(f"python {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


class Stack:
    def __init__(self, *, cluster: PostgresCluster, template: str, directory: Path, name: str, count: int) -> None:
        self.cluster = cluster
        self.template = template
        self.database = name
        self.count = count
        self.members: list[Member] = population(count)
        self.logs = Logs(directory)
        self.mail = directory / "mail"
        self.mail.mkdir()
        self.redis = RedisServer(self.logs)
        self.simulator = SimulatorServer(latency=LATENCY_MS)
        for member in self.members:
            self.simulator.registry.add(member.vat, member.registry_name, member.address, valid=member.registry_valid)
        self.children: list[Child] = []
        self.workers = 0
        self.client: Celery | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------------
    def up(self, **settings: str) -> Stack:
        """Database from the migrated template, seeded; Redis; the simulator; beat. Workers: start_worker()."""
        with psycopg.connect(self.cluster.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}" TEMPLATE "{self.template}"')
        self.redis.start()
        self.simulator.start()
        self.env = child_environment(
            DATABASE_URL=self.cluster.url(self.database),
            REDIS_URL=self.redis.url,
            REGISTRY_SIMULATOR_URL=self.simulator.base_url,
            VIES_WSDL_URL=self.simulator.wsdl_url,
            VIES_SERVICE_URL=self.simulator.service_url,
            EMAIL_FILE_PATH=str(self.mail),
            **settings,
        )
        run_python(self.env, "-m", "tests.faults.seed", str(self.count))
        self.client = Celery("fault-injection", broker=self.redis.url, set_as_current=False)
        self.client.conf.broker_connection_retry_on_startup = True
        self._start("beat", celery_command("beat", "--loglevel", "INFO", "--max-interval", "1"))
        return self

    def down(self) -> None:
        stop_all(self.children)
        self.simulator.stop()
        self.redis.kill()
        if self.client is not None:
            self.client.close()
        if not self.cluster.running:  # a scenario that failed while PostgreSQL was down
            self.cluster.start()
        with psycopg.connect(self.cluster.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def _start(self, name: str, command: list[str]) -> Child:
        child = Child(name, command, log=self.logs.path(name), env=self.env)
        self.children.append(child)
        return child

    def start_worker(self) -> Child:
        """A prefork worker of 4 processes, as in production; returns once it answers a ping."""
        self.workers += 1
        hostname = f"worker{self.workers}@fault-injection"
        worker = self._start(
            f"worker{self.workers}",
            celery_command("worker", "--pool", "prefork", "--concurrency", "4", "--hostname", hostname,
                           "--loglevel", "INFO", "--without-gossip", "--without-mingle"),
        )  # fmt: skip
        assert self.client is not None
        wait_until(
            f"{hostname} to answer a ping",
            lambda: worker.alive and self.client.control.ping(destination=[hostname], timeout=0.5),
            timeout=90,
            every=0,
        )
        assert worker.alive, f"{hostname} exited with {worker.process.returncode}"
        return worker

    def start_run(self) -> int:
        """Send the fan-out's message as beat does at 02:00; returns the run's id once it exists."""
        assert self.client is not None
        self.client.send_task(FAN_OUT_TASK)
        return int(wait_until("the run to start", lambda: self.scalar("SELECT max(id) FROM monitoring_monitoringrun"),
                              timeout=60))  # fmt: skip

    # --- the private database --------------------------------------------------------------------------------
    def rows(self, sql: str, *params: Any) -> list[tuple]:
        """One short connection per query: the database may be restarted between two of them."""
        with psycopg.connect(self.cluster.conninfo(self.database), autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, *params: Any) -> Any:
        rows = self.rows(sql, *params)
        return rows[0][0] if rows else None

    def checks_stored(self, run_id: int) -> int:
        return self.scalar(
            "SELECT count(*) FROM crm_verificationcheck WHERE idempotency_key LIKE %s", f"monitoring:{run_id}:%"
        )

    def wait_for_checks(self, run_id: int, at_least: int, timeout: float = 90) -> int:
        return wait_until(
            f"{at_least} checks of run {run_id}",
            lambda: (stored := self.checks_stored(run_id)) >= at_least and stored,
            timeout=timeout,
            every=0.05,
        )

    def wait_finished(self, run_id: int, timeout: float = 240) -> float:
        """Wait until the run is finished; returns its finish time (epoch seconds, the database's clock)."""
        finished = wait_until(
            f"run {run_id} to finish",
            lambda: self.scalar(
                "SELECT extract(epoch FROM finished_at) FROM monitoring_monitoringrun WHERE id = %s", run_id
            ),
            timeout=timeout,
            every=0.5,
            report=lambda: self.rows(
                "SELECT enqueued, checked, retried, redispatched, fanned_out_at FROM monitoring_monitoringrun"
                " WHERE id = %s",
                run_id,
            ),
        )
        return float(finished)
