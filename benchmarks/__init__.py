"""Benchmarks: figures for the speed and memory claims (docs/benchmarks.md has the results and how to read them).

House rule: speed and memory targets are proved by benchmarks that print figures, not by timed assertions in
tests. So nothing here is collected by pytest (testpaths = tests) and nothing here is part of `make test`.

    python -m benchmarks.monitoring_fanout [--count 100000] [--quick]   # the nightly fan-out on PostgreSQL + Redis
    python -m benchmarks.recheck_throughput [--count 2000] [--quick]    # re-checks through a real Celery worker
    python -m benchmarks.verify_latency [--calls 200] [--quick]         # verify_vat and POST /verify/ latency
    make bench [BENCH_ARGS=--quick]                                     # all three

They need PostgreSQL and Redis on loopback and use only their own database (default `vatcrm_bench`, created
and migrated on first use, its rows wiped at every run) and Redis db 9. `python benchmarks/<name>.py` works too.
"""
