"""The registry simulator: a local stand-in for VIES that speaks its SOAP wire protocol.

Used for demos (`manage.py registry_simulator`), tests (`SimulatorServer`, tests/fixtures/simulator.py)
and benchmarks (the /_sim control API). See docs/simulator.md. Depends on the stdlib and lxml only, so
it runs without Django or a database.
"""

from .faults import TEST_SERVICE_NUMBERS, Fault, FaultInjector, FaultRule, Latency
from .registry import DEFAULT_FIXTURE, MEMBER_STATES, CompanyState, Registry, ScheduledChange
from .server import SimulatorServer

__all__ = [
    "DEFAULT_FIXTURE",
    "MEMBER_STATES",
    "TEST_SERVICE_NUMBERS",
    "CompanyState",
    "Fault",
    "FaultInjector",
    "FaultRule",
    "Latency",
    "Registry",
    "ScheduledChange",
    "SimulatorServer",
]
