"""Who the fault-injection runs re-check: N counterparties over three member states, a few of them changed.

The same list seeds the private database (seed.py, in a child process) and the registry simulator (the
test process), and gives the test what it must find: one "validity lost" alert per withdrawn number, one
"name changed" per renamed company, nothing for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from benchmarks.common import vat_number

STATES = ("BE", "DE", "NL")
# One counterparty in CHANGE_EVERY is withdrawn, another renamed, spread over the whole fan-out order, so
# that changes land before, during and after the fault.
CHANGE_EVERY = 40


class Fate(StrEnum):
    SAME = "same"
    WITHDRAWN = "withdrawn"  # the registry now says invalid: validity lost (critical)
    RENAMED = "renamed"  # the registry now has another name: name changed (warning)


@dataclass(frozen=True)
class Member:
    n: int
    vat: str
    name: str
    address: str
    fate: Fate

    @property
    def registry_name(self) -> str:
        return f"{self.name} Holding" if self.fate is Fate.RENAMED else self.name

    @property
    def registry_valid(self) -> bool:
        return self.fate is not Fate.WITHDRAWN

    @property
    def expected_alert(self) -> str | None:
        return {Fate.WITHDRAWN: "validity_lost", Fate.RENAMED: "name_changed"}.get(self.fate)


def population(count: int) -> list[Member]:
    members = []
    for n in range(count):
        fate = {0: Fate.WITHDRAWN, CHANGE_EVERY // 2: Fate.RENAMED}.get(n % CHANGE_EVERY, Fate.SAME)
        members.append(Member(n, vat_number(STATES, n), f"Supplier {n} Ltd", f"Street {n}\n1000 City", fate))
    return members
