"""JSON control API under ``/_sim`` for a simulator running as a separate process.

Benchmarks and other apps' tests drive the simulator through it; docs/simulator.md has examples.

=======  ======================  =====================================================================
GET      /health                 {"status": "ok", "companies": n, "now": ISO UTC}
GET      /companies[?at=ISO]     the registry evaluated at `at` (default now)
GET      /companies/<vat>        one number as of now (or ?at=); 404 when unknown
POST     /companies              add/replace: one company object, a list, or {"companies": [...]}
DELETE   /companies/<vat>        forget a number (it then answers invalid)
GET      /changes                pending scheduled changes
POST     /changes                {"vat", "at" (ISO or "+90s"/"2h"/"1d"), "valid"/"name"/"address"/...}
                                 or {"changes": [...]}
GET      /faults                 injector configuration and per-number/member-state rules
POST     /faults                 any of fault_rate, seed, codes, latency_ms ("20-200", 50 or [20, 200]),
                                 hang_seconds, max_concurrent, max_concurrent_per_ms; "rules":
                                 {"<vat or country>": "CODE" | {"code", "times"} | null};
                                 shorthand {"vat": ..., "code": ..., "times": ...}; "clear_rules": true
POST     /reset                  registry to its fixture, faults to start configuration, stats zeroed
GET      /stats                  counters (see stats.py)
POST     /stats/reset            zero the counters only
=======  ======================  =====================================================================

Errors are JSON ``{"error": "..."}`` with 400 (bad input), 404 or 405.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .faults import FaultRule
from .registry import load_companies, parse_when

if TYPE_CHECKING:
    from .app import SimulatorApp

Payload = dict[str, Any] | list[Any]
_INJECTOR_OPTIONS = (
    "fault_rate",
    "seed",
    "codes",
    "latency",
    "hang_seconds",
    "max_concurrent",
    "max_concurrent_per_ms",
    "max_concurrent_by_ms",
)


class BodyTooLarge(Exception):
    pass


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def dump(payload: Payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False, indent=1).encode() + b"\n"


def handle(app: SimulatorApp, method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Payload]:
    """Dispatch one control request; `path` is relative to /_sim."""
    parts = [part for part in path.split("/") if part]
    try:
        data = json.loads(body) if body.strip() else {}
        at = parse_when(query["at"][0]) if query.get("at") else None
        return _dispatch(app, method, parts, data, at)
    except _HttpError as exc:
        return exc.status, {"error": str(exc)}
    except (ValueError, KeyError, TypeError) as exc:  # bad JSON, unknown code, bad date, missing key
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        return 400, {"error": detail}


def _dispatch(app: SimulatorApp, method: str, parts: list[str], data: Any, at: datetime | None) -> tuple[int, Payload]:
    registry = app.registry
    match method, parts:
        case "GET", ["health"]:
            now = datetime.now(UTC).isoformat()
            return 200, {"status": "ok", "companies": len(registry), "now": now}
        case "GET", ["companies"]:
            return 200, registry.to_dict(at)["companies"]
        case "GET", ["companies", vat]:
            state = registry.lookup(vat, at)
            if state is None:
                raise _HttpError(404, f"{vat} is not in the registry (it answers invalid)")
            return 200, state.to_dict()
        case "POST", ["companies"]:
            entries = data.get("companies", [data]) if isinstance(data, dict) else data
            states = load_companies(registry, entries)
            return 201, {"companies": [state.to_dict() for state in states]}
        case "DELETE", ["companies", vat]:
            if not registry.remove(vat):
                raise _HttpError(404, f"{vat} is not in the registry")
            return 200, {"removed": vat}
        case "GET", ["changes"]:
            return 200, [change.to_dict() for change in registry.pending_changes()]
        case "POST", ["changes"]:
            entries = data.get("changes", [data]) if isinstance(data, dict) else data
            scheduled = []
            for entry in entries:
                entry = dict(entry)
                scheduled.append(registry.schedule(entry.pop("vat"), at=entry.pop("at"), **entry))
            return 201, {"changes": [change.to_dict() for change in scheduled]}
        case "GET", ["faults"]:
            return 200, _faults(app)
        case "POST", ["faults"]:
            _configure_faults(app, data)
            return 200, _faults(app)
        case "POST", ["reset"]:
            app.reset()
            return 200, {"status": "reset", "companies": len(registry)}
        case "GET", ["stats"]:
            return 200, app.stats.snapshot()
        case "POST", ["stats", "reset"]:
            app.stats.reset()
            return 200, app.stats.snapshot()
        case _, ["health" | "companies" | "changes" | "faults" | "reset" | "stats", *_]:
            raise _HttpError(405, f"{method} not allowed here")
    raise _HttpError(404, "no such control endpoint; see docs/simulator.md")


def _faults(app: SimulatorApp) -> dict[str, Any]:
    rules = {key: rule.to_dict() for key, rule in sorted(app.registry.faults().items())}
    return {**app.faults.to_dict(), "rules": rules}


def _configure_faults(app: SimulatorApp, data: dict[str, Any]) -> None:
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    options = {key: data[key] for key in _INJECTOR_OPTIONS if key in data}
    if "latency_ms" in data:
        options["latency"] = data["latency_ms"]
    unknown = set(data) - set(_INJECTOR_OPTIONS) - {"latency_ms", "rules", "clear_rules", "vat", "code", "times"}
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
    rules: dict[str, Any] = dict(data.get("rules") or {})
    if "vat" in data:
        rules[data["vat"]] = None if data.get("code") is None else {"code": data["code"], "times": data.get("times")}
    checked = {key: None if rule is None else FaultRule.coerce(rule) for key, rule in rules.items()}
    app.faults.configure(**options)  # validates everything before anything below changes
    if data.get("clear_rules"):
        app.registry.clear_faults()
    for key, rule in checked.items():
        app.registry.set_fault(key, rule)
