"""No hostile input makes the REST API answer 500, keep what it rejects, or reach a registry for unstorable text.

The same properties as tests/test_hostile_input.py, over every route of /api/v1/, asked with a read-write
key: hostile query parameters on GET; JSON bodies of any shape (values of any type, lone surrogates, NUL,
deep nesting, bodies that are not JSON at all) on every method a route takes; hostile path arguments.
`test_every_api_route_is_listed` fails until a new route is in ROUTES.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from django.urls import get_resolver, reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.crm.test_tenant_isolation import walk_urlconf
from tests.test_hostile_input import (
    EXAMPLES,
    HOSTILE,
    JSON_VALUES,
    NOT_JSON_OBJECTS,
    PARAMETER,
    VAT_LIKE,
    _cannot_be_stored,
    _rolled_back,
    _row_counts,
    _urlencoded,
)

from .conftest import key_client
from .isolation import API_OBJECT_URLS

# Route -> (methods that take a body, the fields it reads, the query parameters it reads).
ROUTES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "api:schema": ((), (), ("format", "lang")),
    "api:docs": ((), (), ()),
    "api:verify": (("post",), ("vat_number", "name", "address"), ()),
    "api:counterparty-list": (
        ("post",),
        ("vat_number", "name", "address", "external_reference", "notes"),
        ("q", "status", "monitoring", "ordering", "cursor", "page_size"),
    ),
    "api:counterparty-detail": (("patch",), ("name", "address", "external_reference", "notes"), ()),
    "api:counterparty-archive": (("post",), (), ()),
    "api:counterparty-restore": (("post",), (), ()),
    "api:counterparty-monitoring": (("put",), ("monitoring",), ()),
    "api:counterparty-checks": ((), (), ("cursor", "page_size")),
    "api:check-detail": ((), (), ()),
    "api:check-proof": ((), (), ()),
    "api:alert-list": ((), (), ("severity", "kind", "acknowledged", "counterparty", "cursor", "page_size")),
    "api:alert-detail": ((), (), ()),
    "api:alert-acknowledge": (("post",), ("comment",), ()),
    "api:batch-list": (("post",), ("items",), ()),
    "api:batch-detail": ((), (), ()),
    "api:batch-results": ((), (), ("cursor", "page_size")),
}


def _not_an_object(body: str) -> bool:
    """Bodies the API must refuse: none at all is a request without a body, and a large object (crm's
    strategy has some beyond its own 64 KiB) is within the API's 4 MiB, which a batch of 10,000 needs."""
    try:
        return bool(body) and not isinstance(json.loads(body), dict)
    except (ValueError, RecursionError):
        return True


NOT_OBJECTS = NOT_JSON_OBJECTS.filter(_not_an_object)
FIELD_VALUES = st.one_of(JSON_VALUES, VAT_LIKE, st.sampled_from(["ATU72943648", "daily", "off", "weekly"]))


def test_every_api_route_is_listed():
    names = {name for name, _pattern in walk_urlconf(get_resolver())}
    unlisted = sorted(name for name in names if name.startswith("api:") and name not in ROUTES)
    assert not unlisted, f"add these routes to ROUTES in {__name__}: {unlisted}"


@pytest.fixture
def registry(registry_settings, settings):
    """Every registry call goes to the simulator, which counts them; no rate limit gets in the way."""
    settings.API_RATE_LIMIT = settings.API_VERIFY_RATE_LIMIT = "100000/minute"
    return registry_settings.stats


def _path(name: str, workspace, data) -> str:
    if name not in API_OBJECT_URLS:
        return reverse(name)
    if data.draw(st.booleans(), label="real object"):
        return reverse(name, kwargs=API_OBJECT_URLS[name][1](workspace))
    value = data.draw(st.one_of(st.integers(0, 2**70).map(str), HOSTILE), label="path id")
    path = reverse(name, kwargs={"pk": 7_000_001})
    return path.replace("7000001", quote(value.encode("utf-8", "surrogatepass"), safe=""))


def _send(client, registry, method: str, path: str, **extra):
    before_rows, before_calls = _row_counts(), registry.requests
    response = getattr(client, method)(path, **extra)
    assert response.status_code < 500, f"{method.upper()} {path[:200]} answered {response.status_code}"
    return response, _row_counts() != before_rows, registry.requests - before_calls


@pytest.mark.parametrize("name", sorted(ROUTES))
@EXAMPLES
@given(data=st.data())
def test_get_with_hostile_parameters(name, owner, registry, data):
    _methods, _fields, query = ROUTES[name]
    api = key_client(owner.workspace)
    with _rolled_back():
        path = _path(name, owner.workspace, data)
        names = (*query, "unknown")
        params = data.draw(st.fixed_dictionaries({}, optional=dict.fromkeys(names, PARAMETER)), label="query")
        _response, _changed, calls = _send(api.client, registry, "get", f"{path}?{_urlencoded(params)}")
        assert calls == 0


@pytest.mark.parametrize("name", sorted(name for name, route in ROUTES.items() if route[0]))
@EXAMPLES
@given(data=st.data())
def test_bodies_with_hostile_values(name, owner, registry, data):
    methods, fields, _query = ROUTES[name]
    api = key_client(owner.workspace)
    with _rolled_back():
        path = _path(name, owner.workspace, data)
        method = data.draw(st.sampled_from(methods), label="method")
        body = data.draw(st.fixed_dictionaries({}, optional=dict.fromkeys(fields, FIELD_VALUES)), label="body")
        response, changed, calls = _send(
            api.client, registry, method, path, data=json.dumps(body), content_type="application/json"
        )
        if response.status_code >= 400:
            assert not changed
        if any(_cannot_be_stored(value) for key, value in body.items() if key not in ("monitoring", "items")):
            # 404 first for an id that names nothing; otherwise the body is refused before anything is done.
            assert response.status_code in {400, 404} and not changed and calls == 0


@pytest.mark.parametrize("name", sorted(name for name, route in ROUTES.items() if route[0]))
@EXAMPLES
@given(data=st.data(), body=NOT_OBJECTS)
def test_bodies_that_are_not_a_flat_object(name, owner, registry, data, body):
    methods, _fields, _query = ROUTES[name]
    api = key_client(owner.workspace)
    with _rolled_back():
        kwargs = API_OBJECT_URLS[name][1](owner.workspace) if name in API_OBJECT_URLS else None
        path = reverse(name, kwargs=kwargs)
        method = data.draw(st.sampled_from(methods), label="method")
        raw = body.encode("utf-8", "surrogatepass")
        response, changed, calls = _send(api.client, registry, method, path, data=raw, content_type="application/json")
        assert response.status_code == 400 and not changed and calls == 0
