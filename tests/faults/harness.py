"""Processes a fault-injection test owns: a PostgreSQL cluster, a Redis server, Celery workers and beat.

Everything listens on a free loopback port of its own and lives in a temporary directory, so a test can
stop, kill and restart it without touching anyone else's services. Each process logs to a file; a failing
test prints the tails (`Logs.tails`).

pytest-postgresql and pytest-redis would start the servers too, but run `initdb` as the current user, which
PostgreSQL refuses when that user is root (as CI is): here the cluster's commands run as the `postgres` OS
user when we are root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from tests.notifications.fakes import free_port

ROOT = Path(__file__).resolve().parents[2]


def wait_until(
    what: str,
    condition: Callable[[], object],
    *,
    timeout: float,
    every: float = 0.2,
    report: Callable[[], object] | None = None,
) -> object:
    """Poll `condition` until it returns something truthy; fail with `what`, its last value and `report()`.

    A condition that raises (the database is restarting) counts as not yet.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            last = condition()
        except Exception as exc:  # the service being waited for may not answer yet
            last = exc
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            seen = f"; state: {report()}" if report else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last seen: {last!r}{seen}")
        time.sleep(every)


def postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl are: pg_config's answer, else the newest Debian-style install."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip()
        if found and (Path(found) / "initdb").exists():
            return Path(found)
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return installed[-1].parent if installed else None


def missing_binaries() -> list[str]:
    """What this machine lacks to run the fault-injection tests (empty: nothing)."""
    missing = [] if postgres_bindir() else ["PostgreSQL server binaries (initdb, pg_ctl)"]
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        missing.append("runuser (to run PostgreSQL as the postgres user)")
    return missing


class Child:
    """A subprocess in its own session (a kill reaches its children too), logging to a file."""

    def __init__(self, name: str, command: list[str], *, log: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.log = log
        self._out: IO[bytes] = log.open("ab")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole process group: no shutdown handler runs, nothing is given back."""
        if self.alive:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._out.close()

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (Celery's warm shutdown), then SIGKILL if it lingers."""
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        self.kill()


class Logs:
    """The log files of a test's processes, for the failure report."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, name: str) -> Path:
        return self.directory / f"{name}.log"

    def tails(self, lines: int = 40) -> str:
        parts = []
        for log in sorted(self.directory.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name} (last {len(text)} lines)\n" + "\n".join(text))
        return "\n".join(parts)


class PostgresCluster:
    """A throwaway cluster: trust authentication on 127.0.0.1 only, fsync off (a test, not a bank)."""

    def __init__(self, directory: Path) -> None:
        bindir = postgres_bindir()
        assert bindir is not None, missing_binaries()
        self.bindir = bindir
        self.directory = directory
        self.data = directory / "data"
        self.log = directory / "postgres.log"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(directory, user="postgres", group="postgres")

    def _run(self, tool: str, *args: str, check: bool = True) -> int:
        command = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:  # initdb refuses root; pg_ctl must run as the data directory's owner
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if check and result.returncode:
            raise RuntimeError(f"{tool} {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.returncode

    def create(self) -> PostgresCluster:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale",
                  "--no-sync")  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.directory}'\n"
                "fsync = off\nfull_page_writes = off\nmax_connections = 100\n"
            )
        self.start()
        return self

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast`: connections are cut, then a clean shutdown; `immediate`: a crash (recovery on start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    @property
    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False) == 0

    def destroy(self) -> None:
        if self.data.exists() and self.running:
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def conninfo(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}?connect_timeout=3"


class RedisServer:
    """`redis-server` without persistence: killed with SIGKILL, it comes back empty."""

    def __init__(self, logs: Logs) -> None:
        self.port = free_port()
        self.logs = logs
        self.child: Child | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        import redis

        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                   "no", "--dir", str(self.logs.directory)]  # fmt: skip
        self.child = Child("redis", command, log=self.logs.path("redis"))
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        wait_until("redis-server to answer PING", client.ping, timeout=20, every=0.05)
        return self

    def kill(self) -> None:
        if self.child is not None:
            self.child.kill()
            self.child = None


def celery_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "vatcrm", *args]


def stop_all(children: Iterable[Child]) -> None:
    for child in children:
        child.stop()
