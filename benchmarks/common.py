"""What every benchmark shares: a dedicated database and Redis db, Django set up on them, tables of figures.

Safety first: the benchmarks wipe their database's rows and purge their broker queue, so they refuse a
database whose name does not contain "bench" and any host that is not loopback. DATABASE_URL and REDIS_URL
from the caller's environment are deliberately *not* used (they may point at a developer's real data): the
benchmarks take --database-url / --redis-url, or BENCH_DATABASE_URL / BENCH_REDIS_URL.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/vatcrm_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
QUEUE = "celery"  # Celery's default queue: where monitoring.recheck messages go


def add_service_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"PostgreSQL database of the benchmarks' own (name must contain 'bench'); default {DEFAULT_DATABASE_URL}",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        help=f"Redis for the broker, the cache and the registry limiter; default {DEFAULT_REDIS_URL}",
    )


def check_targets(database_url: str, redis_url: str) -> None:
    """Refuse anything but a loopback PostgreSQL database named *bench* and a loopback Redis db other than 0."""
    db = urlsplit(database_url)
    name = db.path.lstrip("/")
    if db.scheme not in {"postgres", "postgresql"} or "bench" not in name:
        sys.exit(f"refusing {database_url!r}: a PostgreSQL database whose name contains 'bench' is required")
    red = urlsplit(redis_url)
    if red.scheme != "redis" or red.path.strip("/") in {"", "0"}:
        sys.exit(f"refusing {redis_url!r}: a redis:// URL with its own db number (not 0) is required")
    for url, parts in ((database_url, db), (redis_url, red)):
        if parts.hostname not in _LOOPBACK:
            sys.exit(f"refusing {url!r}: benchmarks run on loopback only")


def child_environment(args: argparse.Namespace, **extra: str) -> dict[str, str]:
    """The environment of this process and of the processes it starts (a Celery worker, a measuring child).

    vatcrm.settings, not tests.settings: the latter forces CELERY_TASK_ALWAYS_EAGER, which would run the
    re-checks inside the fan-out and measure something that never happens in production.
    """
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="vatcrm.settings",
        SECRET_KEY="benchmarks-only-secret-key-not-for-any-real-deployment",
        FIELD_ENCRYPTION_KEYS="r8Qp0k2y7Wc5b1Ng4Zs9Hd3Lm6Tx0Va2Ef5Ju8Ko1Ci=",  # required when DEBUG is off
        DEBUG="0",  # production behaviour: no query log kept in memory
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        PUBLIC_BASE_URL="http://127.0.0.1:8000",  # required when DEBUG is off; only email links use it
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        REGISTRY_MODE="sandbox",
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        CELERY_BROKER_URL=args.redis_url,
        CELERY_TASK_ALWAYS_EAGER="0",
        LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),  # INFO would log one line per SOAP call
    )
    env.update(extra)
    return env


def setup_django(args: argparse.Namespace, *, migrate: bool = True, **extra_env: str) -> None:
    """Point Django at the benchmark database and Redis, create the database if needed, migrate it."""
    check_targets(args.database_url, args.redis_url)
    os.environ.update(child_environment(args, **extra_env))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if migrate:
        _ensure_database(args.database_url)
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


@contextmanager
def simulator_and_django(args: argparse.Namespace) -> Iterator[Any]:
    """The registry simulator in a thread of this process, and Django set up to call it; stopped after."""
    from verification.simulator import Registry, SimulatorServer

    sim = SimulatorServer(Registry.default()).start()  # before Django: its address goes into the settings
    try:
        setup_django(
            args, VIES_WSDL_URL=sim.wsdl_url, VIES_SERVICE_URL=sim.service_url, REGISTRY_SIMULATOR_URL=sim.base_url
        )
        yield sim
    finally:
        sim.stop()


def setup_django_for_pages(args: argparse.Namespace) -> None:
    """setup_django for benchmarks that render pages: DEBUG off serves hashed static names from a manifest,
    as in production, so the static files are collected first (into a folder of their own)."""
    import tempfile

    setup_django(args, STATIC_ROOT=tempfile.mkdtemp(prefix="vatcrm-bench-static-"))
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def _ensure_database(url: str) -> None:
    """CREATE DATABASE once; the only statement ever run outside the benchmark's own database."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def reset_data() -> None:
    """Wipe every row a benchmark writes: workspaces (everything of the CRM hangs off them), runs, users."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE crm_workspace, monitoring_monitoringrun, auth_user CASCADE")


def analyze() -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would give them a minute later."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def vacuum() -> None:
    """VACUUM ANALYZE, as autovacuum leaves tables a while after a bulk load: index-only scans need the
    visibility map it writes, and size figures need the dead rows gone."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def seed_sql(statements: Sequence[str], params: dict[str, Any], *, then: Callable[[], None] = analyze) -> float:
    """Run the seeding statements in one transaction, then `then` (ANALYZE, or `vacuum`); returns seconds."""
    from django.db import connection, transaction

    watch = Stopwatch()
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, params)
    then()
    return watch()


def timed_get(client: Any, url: str, requests: int) -> tuple[dict[str, float], int]:
    """GET `url` `requests` times after a warm-up: wall-time percentiles, this process's CPU (p50, which a
    busy shared machine changes least), the SQL time of one request, and its statement count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm: connection, templates, caches
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    timings, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    summary = latency_summary(timings)
    summary.update(
        {
            "python cpu p50": percentile(cpu, 50),
            "sql wall": sum(float(query["time"]) for query in captured.captured_queries) * 1000,
        }
    )
    return summary, len(captured)


def redis_client() -> Any:
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=10)


def clear_limiter() -> None:
    """Drop registry leases and cool-downs left by an earlier run (a killed worker's leases last 55 s)."""
    from verification.ratelimit import reset_limiter

    client = redis_client()
    keys = list(client.scan_iter("vatcrm:registry:*", count=1000))
    if keys:
        client.delete(*keys)
    reset_limiter()


def queue_length() -> int:
    from vatcrm.celery import app

    with app.connection_for_write() as conn:
        return int(conn.default_channel.queue_declare(QUEUE, passive=True).message_count)


def purge_queue() -> int:
    """Empty the re-check queue of the benchmark's Redis db; returns how many messages were dropped."""
    from vatcrm.celery import app

    with app.connection_for_write() as conn:
        return int(conn.default_channel.queue_purge(QUEUE) or 0)


# --- numbers -----------------------------------------------------------------------------------------------
def belgian_vat(n: int) -> str:
    """A well-formed Belgian number with a correct check digit (97 - body mod 97), distinct per n."""
    body = f"{10_000_000 + n:08d}"
    return f"BE{body}{97 - int(body) % 97:02d}"


def german_vat(n: int) -> str:
    """A well-formed German number with a correct ISO 7064 mod 11,10 check digit."""
    from stdnum.iso7064 import mod_11_10

    body = f"1{n:07d}"
    return f"DE{body}{mod_11_10.calc_check_digit(body)}"


def dutch_vat(n: int) -> str:
    """A well-formed Dutch number (BSN-style 11-test body), distinct per n below 9 million."""
    base = 10_000_000 + n * 100  # a block of 100 bodies per n: some pass the 11-test
    for body in range(base, base + 100):
        digits = f"{body:09d}"
        if (sum((9 - i) * int(d) for i, d in enumerate(digits[:8])) - int(digits[8])) % 11 == 0:
            return f"NL{digits}B01"
    return f"NL{base:09d}B01"  # checksum warning only: the registry still answers


# Member states whose numbers end in one check digit after a fixed-length body: (prefix, body digits, suffix).
_CHECK_DIGIT_LAST = {"AT": ("U", 7, ""), "DK": ("", 7, ""), "FI": ("", 7, ""), "PL": ("", 9, ""), "SE": ("", 9, "01")}


def _check_digit_vat(country: str, n: int) -> str:
    """A well-formed number of `country`: the first body in n's block of ten whose check digit exists."""
    from stdnum.eu import vat

    prefix, digits, suffix = _CHECK_DIGIT_LAST[country]
    first = 10 ** (digits - 1) + n * 10  # no leading zero: some states refuse one
    for body in range(first, first + 10):
        for check in "0123456789":
            number = f"{country}{prefix}{body:0{digits}d}{check}{suffix}"
            if vat.is_valid(number):
                return number
    raise ValueError(f"no valid {country} number near {n}")


def italian_vat(n: int) -> str:
    """Company number, office 001, Luhn check digit."""
    from stdnum import luhn

    body = f"{n + 1:07d}001"
    return f"IT{body}{luhn.calc_check_digit(body)}"


def luxembourg_vat(n: int) -> str:
    body = f"{n + 100_000:06d}"
    return f"LU{body}{int(body) % 89:02d}"


VAT_MAKERS: dict[str, Callable[[int], str]] = {
    "BE": belgian_vat,
    "DE": german_vat,
    "NL": dutch_vat,
    "IT": italian_vat,
    "LU": luxembourg_vat,
    **{cc: (lambda n, cc=cc: _check_digit_vat(cc, n)) for cc in _CHECK_DIGIT_LAST},
}


def vat_number(states: Sequence[str], n: int) -> str:
    """Number n of a population spread round-robin over `states`."""
    state = states[n % len(states)]
    return VAT_MAKERS[state](n)


# --- measuring ----------------------------------------------------------------------------------------------
def peak_rss_mb() -> float:
    """This process's peak resident set size since it started (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@contextmanager
def count_queries() -> Iterator[Counter[str]]:
    """Count SQL statements by their first word (SELECT, UPDATE, INSERT, ...) without keeping them.

    connection.execute_wrapper rather than CaptureQueriesContext: the latter keeps every statement's text,
    which would itself cost memory in a benchmark that reports memory.
    """
    from django.db import connection

    counts: Counter[str] = Counter()

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        counts[sql.lstrip().split(None, 1)[0].upper()] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counts


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: an observed value, not an interpolation between two."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def latency_summary(ms: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(ms),
        "mean": statistics.fmean(ms) if ms else float("nan"),
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": max(ms) if ms else float("nan"),
    }


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.start


# --- printing -----------------------------------------------------------------------------------------------
def machine() -> str:
    """One line saying where the figures come from: they mean little without it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0].split()[0]
    redis_version = redis_client().info("server").get("redis_version", "?")
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PostgreSQL {pg}, Redis {redis_version} (loopback)"
    )


def heading(title: str) -> None:
    print(f"\n== {title} ==")


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str] | None = None) -> None:
    """A plain-text table, numbers right-aligned, so the output can be pasted into docs/benchmarks.md."""
    cells = [[_fmt(c) for c in row] for row in rows]
    if headers:
        cells.insert(0, list(headers))
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    for index, row in enumerate(cells):
        line = "  ".join(
            c.rjust(w) if _numeric(c) and i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        print(line.rstrip())
        if headers and index == 0:
            print("  ".join("-" * w for w in widths))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _numeric(text: str) -> bool:
    return bool(text) and text.replace(",", "").replace(".", "").replace("-", "").replace(" ", "")[:1].isdigit()
