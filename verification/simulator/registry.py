"""The simulator's registry of companies: what a member state's database would answer, and when.

A registry holds one base record per VAT number plus scheduled changes ("this number becomes invalid at
T", "this company is renamed at T"). `lookup()` folds the changes due at the evaluation time (timezone-aware
UTC `datetime.now`, so time-machine moves it) over the base record. Records are immutable snapshots so a
request thread never sees a half-applied change.

Unknown numbers are *invalid* (lookup returns None and the responder answers `valid=false`): that is what
VIES says for a well-formed number nobody registered, and it keeps demos honest: a made-up number is not
silently "valid". Per-number and per-member-state fault rules live here too, because they are part of the
fixture data ("this Cypriot number always gets MS_UNAVAILABLE").

`reset()` returns to the state the registry was built with (the fixture file), which is what the control
API's `/_sim/reset` and the session-scoped pytest fixture rely on.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .faults import Fault, FaultRule

#: VIES member-state codes: the EU-27 with Greece as EL, plus XI (Northern Ireland, served since 2021).
MEMBER_STATES = frozenset(
    "AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI".split()  # noqa: SIM905
)
#: Countries outside VIES whose registries the simulator serves too (national.py): HMRC, the Swiss UID
#: register (keys "CHE" + 9 digits) and Brønnøysund (keys "NO" + the 9-digit organisation number).
NATIONAL_REGISTRIES = frozenset({"GB", "CH", "NO"})
DEFAULT_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "registry.json"
#: Fields a scheduled change may set.
CHANGEABLE = ("valid", "name", "address", "street", "postcode", "city", "company_type", "withhold", "deleted")
_NATIONAL_SUFFIX = re.compile(r"^(CHE\d{9})(?:MWST|TVA|IVA)$|^(NO\d{9})MVA$")
_RELATIVE = re.compile(r"^\+?(\d+(?:\.\d+)?)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def normalise_vat(vat: str) -> str:
    """Key form of a VAT number: upper case, no separators, Greek GR spelled EL as VIES does; a Swiss
    number without its MWST/TVA/IVA suffix and a Norwegian one without MVA (both registries key by the
    entity's number)."""
    cleaned = re.sub(r"[\s.\-/]", "", vat).upper()
    national = _NATIONAL_SUFFIX.match(cleaned)
    if national:
        return national.group(1) or national.group(2)
    return "EL" + cleaned[2:] if cleaned.startswith("GR") else cleaned


def split_vat(vat: str) -> tuple[str, str]:
    """`("DE", "175782214")` from any spelling of "DE 175 782 214"."""
    key = normalise_vat(vat)
    if len(key) < 3 or not key[:2].isalpha():
        raise ValueError(f"not a prefixed VAT number: {vat!r}")
    return key[:2], key[2:]


def parse_when(value: datetime | str, *, now: datetime | None = None) -> datetime:
    """An aware UTC datetime from a datetime, an ISO 8601 string or a relative "+90s"/"2h"/"1d".

    Naive values are taken as UTC (documented in docs/simulator.md) rather than rejected: fixture authors
    and curl users write "2030-01-01T00:00:00" and mean UTC.
    """
    if isinstance(value, str):
        match = _RELATIVE.match(value.strip())
        if match:
            base = now or datetime.now(UTC)
            return base + timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True)
class CompanyState:
    """One number as the registry sees it at one moment."""

    country_code: str
    number: str
    valid: bool = True
    name: str = ""
    address: str = ""
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    company_type: str | None = None
    #: The member state does not disclose name/address (DE, ES): the wire shows "---".
    withhold: bool = False
    #: Brønnøysund: the entity is deleted (a `slettedato`), which is more than not VAT-registered.
    deleted: bool = False

    @property
    def vat(self) -> str:
        return self.country_code + self.number

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["vat"] = self.vat
        return data


@dataclass(frozen=True)
class ScheduledChange:
    vat: str
    at: datetime
    changes: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"vat": self.vat, "at": self.at.isoformat(), **dict(self.changes)}


def _derive_address(street: str | None, postcode: str | None, city: str | None) -> str:
    tail = " ".join(part for part in (postcode, city) if part)
    return "\n".join(part for part in (street, tail) if part)


class Registry:
    """Thread-safe, in-memory registry. Build it with `from_file`, `default` or `add`."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._base: dict[str, CompanyState] = {}
        self._changes: dict[str, list[ScheduledChange]] = {}
        self._faults: dict[str, FaultRule] = {}
        self._initial: tuple[Any, Any, Any] | None = None

    # --- construction ------------------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: str | Path) -> Registry:
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))

    @classmethod
    def default(cls) -> Registry:
        """A fresh registry loaded from the shipped demo fixture."""
        return cls.from_file(DEFAULT_FIXTURE)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Registry:
        """Load the fixture format described in docs/simulator.md; relative "at" values count from now."""
        registry = cls()
        registry.load(data)
        registry.mark_initial()
        return registry

    def load(self, data: Mapping[str, Any]) -> None:
        """Add the companies, changes and fault rules of a fixture document (or a control API body)."""
        now = datetime.now(UTC)
        for entry in data.get("companies", []):
            self.add_from_dict(entry, now=now)
        for entry in data.get("changes", []):
            entry = dict(entry)
            self.schedule(entry.pop("vat"), at=parse_when(entry.pop("at"), now=now), **entry)
        for key, rule in (data.get("faults") or {}).items():
            self.set_fault(key, rule)

    def add_from_dict(self, entry: Mapping[str, Any], *, now: datetime | None = None) -> CompanyState:
        entry = dict(entry)
        changes = entry.pop("changes", [])
        fault = entry.pop("fault", None)
        vat = entry.pop("vat")
        state = self.add(vat, **entry)
        for change in changes:
            change = dict(change)
            self.schedule(state.vat, at=parse_when(change.pop("at"), now=now), **change)
        if fault is not None:
            self.set_fault(state.vat, fault)
        return state

    def mark_initial(self) -> None:
        """Remember the current contents as what `reset()` returns to."""
        with self._lock:
            self._initial = copy.deepcopy((self._base, self._changes, self._faults))

    def reset(self) -> None:
        with self._lock:
            if self._initial is None:
                self._base, self._changes, self._faults = {}, {}, {}
            else:
                self._base, self._changes, self._faults = copy.deepcopy(self._initial)

    # --- mutation ----------------------------------------------------------------------------------
    def add(
        self,
        vat: str,
        name: str = "",
        address: str = "",
        valid: bool = True,
        withhold: bool = False,
        *,
        deleted: bool = False,
        street: str | None = None,
        postcode: str | None = None,
        city: str | None = None,
        company_type: str | None = None,
    ) -> CompanyState:
        """Add or replace a number's base record. Replacing drops that number's pending changes.

        `address` defaults to "street\\npostcode city"; street/postcode/city are what checkVatApprox's
        trader match codes compare against (without them those codes are 3, not processed).
        """
        country, number = split_vat(vat)
        if country not in MEMBER_STATES | NATIONAL_REGISTRIES:
            raise ValueError(f"{country} is not a VIES member state code (Greece is EL), GB, CHE or NO")
        state = CompanyState(
            country_code=country,
            number=number,
            valid=bool(valid),
            name=name,
            address=address or _derive_address(street, postcode, city),
            street=street,
            postcode=postcode,
            city=city,
            company_type=company_type,
            withhold=bool(withhold),
            deleted=bool(deleted),
        )
        with self._lock:
            self._base[state.vat] = state
            self._changes.pop(state.vat, None)
        return state

    def remove(self, vat: str) -> bool:
        key = normalise_vat(vat)
        with self._lock:
            self._changes.pop(key, None)
            return self._base.pop(key, None) is not None

    def schedule(self, vat: str, *, at: datetime | str, **changes: Any) -> ScheduledChange:
        """From `at` on, `vat` reads with `changes` applied (valid=False, name="New name", ...).

        Scheduling on an unknown number registers it as invalid until then, so "a number that becomes
        valid tomorrow" works too.
        """
        unknown = set(changes) - set(CHANGEABLE)
        if unknown:
            raise ValueError(f"cannot schedule {sorted(unknown)}; changeable: {', '.join(CHANGEABLE)}")
        if not changes:
            raise ValueError("a scheduled change needs at least one of " + ", ".join(CHANGEABLE))
        key = normalise_vat(vat)
        change = ScheduledChange(vat=key, at=parse_when(at), changes=dict(changes))
        with self._lock:
            if key not in self._base:
                self.add(key, valid=False)
            pending = self._changes.setdefault(key, [])
            pending.append(change)
            pending.sort(key=lambda item: item.at)
        return change

    def set_fault(self, key: str, rule: FaultRule | Fault | str | Mapping[str, Any] | None) -> None:
        """Fault for a full number ("CY62701515S") or a whole member state ("CY"); None clears it."""
        key = normalise_vat(key)
        with self._lock:
            if rule is None:
                self._faults.pop(key, None)
            else:
                self._faults[key] = FaultRule.coerce(rule)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def take_fault(self, country: str, number: str) -> Fault | None:
        """The fault rule for this number (or else its member state), consuming one of its `times`."""
        with self._lock:
            for key in (country + normalise_vat(number), country):
                rule = self._faults.get(key)
                if rule is None:
                    continue
                if rule.times is not None:
                    if rule.times <= 1:
                        del self._faults[key]
                    else:
                        self._faults[key] = replace(rule, times=rule.times - 1)
                return rule.code
        return None

    # --- queries -----------------------------------------------------------------------------------
    def lookup(self, vat: str, at: datetime | None = None) -> CompanyState | None:
        """The record as of `at` (default: now, UTC), or None for a number the registry never heard of."""
        key = normalise_vat(vat)
        when = parse_when(at) if at is not None else datetime.now(UTC)
        with self._lock:
            state = self._base.get(key)
            pending = list(self._changes.get(key, ()))
        if state is None:
            return None
        for change in pending:
            if change.at > when:
                break
            state = replace(state, **change.changes)
        return state

    def __contains__(self, vat: str) -> bool:
        with self._lock:
            return normalise_vat(vat) in self._base

    def __len__(self) -> int:
        with self._lock:
            return len(self._base)

    def numbers(self) -> list[str]:
        with self._lock:
            return sorted(self._base)

    def pending_changes(self, vat: str | None = None) -> list[ScheduledChange]:
        with self._lock:
            if vat is not None:
                return list(self._changes.get(normalise_vat(vat), ()))
            return [change for items in self._changes.values() for change in items]

    def faults(self) -> dict[str, FaultRule]:
        with self._lock:
            return dict(self._faults)

    def to_dict(self, at: datetime | None = None) -> dict[str, Any]:
        """The registry as JSON-able data (states evaluated at `at`), for the control API."""
        states = [self.lookup(vat, at) for vat in self.numbers()]
        return {
            "companies": [state.to_dict() for state in states if state is not None],
            "changes": [change.to_dict() for change in self.pending_changes()],
            "faults": {key: rule.to_dict() for key, rule in sorted(self.faults().items())},
        }


def load_companies(registry: Registry, entries: Iterable[Mapping[str, Any]]) -> list[CompanyState]:
    """Add or replace several companies (the control API's POST /_sim/companies)."""
    now = datetime.now(UTC)
    return [registry.add_from_dict(entry, now=now) for entry in entries]
