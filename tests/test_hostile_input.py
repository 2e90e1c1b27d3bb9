"""No hostile input makes a page answer 500, keeps what it rejects, or reaches a registry.

Property-based (hypothesis), as the signed-in owner, over every view of the URL configuration:

- GET with hostile query parameters: the ones the view reads and a few it does not know;
- POST with each of the view's forms, every field either a plausible value or a hostile one, sent as a
  client sends them on the wire (urlencoded bytes, so a lone surrogate arrives as broken UTF-8) and, for
  views that read JSON, as JSON (values of any type, lone surrogates, deep nesting, bodies that are not
  JSON at all);
- path arguments of any length and alphabet, besides the owner's real objects;
- the Django admin's changelists with hostile `q`, `o`, `p` and filter parameters, as staff;
- allauth's pages with hostile query parameters (GET only: a POST could sign the owner out).

What must hold: the answer is below 500; a rejected request (4xx, or a form shown again) changes no row
count; input that cannot be stored (NUL, a lone surrogate, a list or object where text belongs) changes no
row count, calls no registry, and a form that receives it is rejected.

Hostile values are generated (the ones reported from outside among them), so each run tries new ones
within a small budget of examples.
Every example runs inside a savepoint that is rolled back: the owner and their objects come from
function-scoped fixtures, built once per test, and no example sees another's rows. That is why the
function-scoped-fixture health check is suppressed.

Adding a view: `test_every_view_is_listed` fails until its URL name is in VIEWS. Give the query
parameters it reads (`query`), how to build the owner's object for its path arguments (`kwargs`), its
forms (`forms`: one dict per form, field name -> strategy of plausible values; the test makes one field
hostile and mixes hostile values into the others), POST values it reads without a form (`params`),
`json=True` if it parses JSON bodies, and `post=False` if a POST must not be sent. A new form class must
also have `crm.untrusted.StorableInputMixin`, or `test_every_form_of_the_project_refuses_unstorable_input`
fails.

The cases reported from outside are also tested one by one, at the end of the module.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.db import transaction
from django.http import HttpResponse
from django.urls import get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.middleware import SESSION_KEY
from crm.models import Counterparty, MonitoringFrequency, Role, Severity, Workspace
from crm.untrusted import StorableInputMixin
from imports.columns import FIELD_NAMES
from notifications.models import ChannelKind, DeliveryMode
from tests.api.isolation import PAGE_OBJECT_URLS
from tests.crm.test_tenant_isolation import finished_export_of, walk_urlconf
from tests.factories import CounterpartyFactory, InvitationFactory, MembershipFactory
from tests.notifications.factories import ChatChannelFactory, DeliveryFactory

EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    # Safe: every example is rolled back (see `_rolled_back`), so sharing the fixtures leaks nothing.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PROJECT_APPS = ("crm", "monitoring", "notifications", "dashboard", "api", "imports")

# --- hostile values -----------------------------------------------------------------------------------
NUL = "\x00"
SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
UNICODE_DIGITS = st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=6)  # "²", "٣"
NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1]),
).map(str)
HUGE = st.tuples(st.sampled_from("9Aé²"), st.integers(5_000, 100_000)).map(lambda pair: pair[0] * pair[1])


def _around(middle: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda a, m, b: a + m + b, st.text(max_size=6), middle, st.text(max_size=6))


UNSTORABLE = st.one_of(_around(SURROGATES), _around(st.just(NUL)))
# The values an outside test found 500s with, and their neighbours, drawn as often as each family above.
KNOWN = st.sampled_from(["²", "³", "①", "٣", "\uff11", NUL, "1" + NUL, "\ud800", "-1", "0", str(2**63), " 1", "1e3"])
HOSTILE = st.one_of(KNOWN, UNICODE_DIGITS, UNSTORABLE, NUMBERS, HUGE, st.text(max_size=30))
# A parameter sent once or repeated (`?a=1&a=2`): Django reads the last one, getlist() all of them.
PARAMETER = st.one_of(HOSTILE, st.lists(HOSTILE, min_size=2, max_size=3))
# Shapes close to VAT numbers reach deeper than random text: country codes, digits, separators.
VAT_LIKE = st.builds(
    lambda country, body: country + body,
    st.sampled_from(["DE", "de", "FR", "EL", "GR", "XI", "GB", "NL", "IT", "ES", "ATU", "", "XX", "ZZ"]),
    st.text(alphabet="0123456789 .-/ABCXYZabc", max_size=20),
)
# Numbers the simulator's demo registry knows: a form that is otherwise valid reaches the registry.
VALID_VAT = st.sampled_from(["ATU72943648", "BE0106411968", "AT U72 943 648"])
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), HOSTILE, VAT_LIKE)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
NOT_JSON_OBJECTS = st.one_of(
    st.integers(21, 100_000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(21, 100_000).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
    st.integers(21, 5_000).map(lambda depth: '{"vat_number": ' + "[" * depth + "]" * depth + "}"),
    JSON_VALUES.filter(lambda value: not isinstance(value, dict)).map(json.dumps),
    st.binary(max_size=100).map(lambda raw: raw.decode("latin-1")),
    st.integers(70_000, 200_000).map(lambda size: json.dumps({"name": "x" * size})),
)


def _cannot_be_stored(value: object) -> bool:
    """What the test itself counts as unstorable, independently of the code under test."""
    if isinstance(value, str):
        return NUL in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    return isinstance(value, dict | list)


def _wire(text: str) -> str:
    """Percent-encoded UTF-8, letting lone surrogates through as the bytes a hostile client would send."""
    return quote_plus(text.encode("utf-8", "surrogatepass"))


def _urlencoded(params: dict[str, str | list[str]]) -> str:
    return "&".join(
        f"{_wire(key)}={_wire(item)}"
        for key, value in params.items()
        for item in (value if isinstance(value, list) else [value])
    )


def _as_received(value: str | list[str]) -> str:
    """The one value of a repeated form field that a form reads: the last."""
    return value[-1] if isinstance(value, list) else value


# --- the views ----------------------------------------------------------------------------------------
COMMON_QUERY = ("workspace", "page", "sort", "q", "next", "unknown")
LIST_FILTERS = ("q", "status", "monitoring", "ordering", "page")
SWITCH = st.sampled_from(["on", "", "off", "true"])
ROLE = st.sampled_from([*Role.values, "admin", ""])
NEXT = st.sampled_from(["/crm/", "https://evil.example/", "//evil.example", ""])
SEVERITY = st.sampled_from([*Severity.values, ""])
CHANNEL_FIELDS = {
    "name": st.text(max_size=30),
    "min_severity": SEVERITY,
    "enabled": SWITCH,
    "url": st.sampled_from(["https://hooks.slack.com/services/T0/B0/x", "https://example.com/hook", "//x", ""]),
    "bot_token": st.sampled_from(["123456:abc", ""]),
    "chat_id": st.sampled_from(["-1001", ""]),
    "secret": st.sampled_from(["s" * 20, "short", ""]),
}


@dataclass(frozen=True)
class View:
    """What a view reads from a request, so the test knows what to make hostile."""

    query: tuple[str, ...] = ()  # GET parameters, beyond COMMON_QUERY
    kwargs: Callable[[Workspace], dict] | None = None  # builds the owner's object, returns the URL kwargs
    forms: tuple[dict[str, st.SearchStrategy[str]], ...] = ()  # per form: field -> plausible values
    params: dict[str, st.SearchStrategy[str]] = field(default_factory=dict)  # POST values read without a form
    json: bool = False  # it parses JSON bodies (into its first form)
    post: bool = True  # False: no POST is sent (it would undo the owner's session, say)


def _counterparty(ws: Workspace) -> dict:
    return {"pk": CounterpartyFactory(workspace=ws).pk}


def _channel(ws: Workspace) -> dict:
    return {"pk": ChatChannelFactory(workspace=ws).pk}


def _run(ws: Workspace) -> dict:
    from monitoring.models import MonitoringRun, Recheck

    run = MonitoringRun.objects.create()
    Recheck.objects.create(run=run, counterparty=CounterpartyFactory(workspace=ws), workspace=ws)
    return {"pk": run.pk}


def _api_key(ws: Workspace) -> int:
    from api.models import ApiKey

    return ApiKey.issue(workspace=ws, name="ERP", scope="read").api_key.pk


def _alert(ws: Workspace) -> dict:
    from tests.factories import AlertFactory

    return {"pk": AlertFactory(check_run__counterparty__workspace=ws).pk}


def _check(ws: Workspace) -> dict:
    from tests.factories import CheckResultFactory

    return {"pk": CheckResultFactory(check_run__counterparty__workspace=ws).check_run_id}


NEXT = st.sampled_from(["/alerts/", "https://evil.example/", "//evil.example", ""])
ALERT_FILTERS = ("state", "severity", "kind", "created_after", "created_before", "q", "counterparty", "page")
AUDIT_QUERY = ("date_from", "date_to", "counterparty")
DATES = st.sampled_from(["2026-01-01", "2026-12-31", "9999-12-31", "0001-01-01", "2026-02-30", ""])
DASHBOARD_VIEWS: dict[str, View] = {
    "dashboard:home": View(),
    "dashboard:alert_list": View(query=ALERT_FILTERS),
    "dashboard:alert_detail": View(kwargs=_alert),
    "dashboard:alert_acknowledge": View(
        kwargs=_alert, forms=({"comment": st.text(max_size=40)},), params={"next": NEXT}
    ),
    "dashboard:alert_bulk_acknowledge": View(
        forms=({"comment": st.text(max_size=40)},), params={"alert": st.integers(1, 50).map(str), "next": NEXT}
    ),
    "dashboard:check_proof": View(kwargs=_check),
    "dashboard:check_proof_pdf": View(kwargs=_check),
    "dashboard:audit": View(query=("counterparty",)),
    "dashboard:audit_export_csv": View(query=AUDIT_QUERY, forms=({"date_from": DATES, "date_to": DATES},)),
    "dashboard:audit_export_xlsx": View(query=AUDIT_QUERY, forms=({"date_from": DATES, "date_to": DATES},)),
}

VIEWS: dict[str, View] = {
    **DASHBOARD_VIEWS,
    "health": View(),
    "set_language": View(
        params={
            "language": st.sampled_from(["ru", "en-gb", "en", "xx", ""]),
            "next": st.sampled_from(["/verify/", "https://evil.example/", "//evil.example", ""]),
        }
    ),
    "readiness": View(post=False),
    "metrics": View(post=False),
    "crm:counterparty_list": View(query=LIST_FILTERS),
    "crm:counterparty_export_csv": View(query=LIST_FILTERS),
    "crm:counterparty_export_xlsx": View(query=LIST_FILTERS),
    "crm:export_detail": View(kwargs=finished_export_of),
    "monitoring:run_now": View(),
    "crm:export_download": View(kwargs=finished_export_of),
    "crm:counterparty_detail": View(kwargs=_counterparty),
    "crm:verify": View(
        forms=(
            {
                "vat_number": VALID_VAT | VAT_LIKE,
                "name": st.text(max_size=40),
                "address": st.text(max_size=40),
                "requester_vat_number": VAT_LIKE | st.just(""),
                "requester_name": st.text(max_size=20),
            },
        ),
        json=True,
    ),
    "crm:workspace_settings": View(
        forms=(
            # "invite" is the submit button's name: the view reads only whether it was sent, like a checkbox.
            {"invite": SWITCH, "email": st.emails(), "role": ROLE},
            {"name": st.text(max_size=40), "monitor_new_counterparties": SWITCH},
        )
    ),
    "crm:workspace_switch": View(kwargs=lambda ws: {"pk": ws.pk}),
    "crm:counterparty_edit": View(
        kwargs=_counterparty,
        forms=(
            {
                "name": st.text(max_size=40),
                "address": st.text(max_size=40),
                "external_reference": st.text(max_size=20),
                "notes": st.text(max_size=60),
                "tags": st.text(max_size=40),
            },
        ),
    ),
    "crm:counterparty_archive": View(kwargs=_counterparty),
    "crm:counterparty_restore": View(
        kwargs=lambda ws: {"pk": CounterpartyFactory(workspace=ws, archived_at=timezone.now()).pk}
    ),
    "crm:counterparty_delete": View(kwargs=_counterparty),
    "crm:counterparty_bulk": View(
        forms=(
            {
                "action": st.sampled_from(
                    ["reverify", "tag_add", "tag_remove", "archive", "restore", "export_csv", "x"]
                ),
                "counterparty": st.integers(1, 50).map(str),
                "tag": st.text(max_size=20),
            },
        ),
        params={"next": NEXT},
    ),
    "crm:requester_setup": View(
        forms=({"vat_number": VALID_VAT | VAT_LIKE, "name": st.text(max_size=40)},), params={"next": NEXT}
    ),
    "crm:workspace_create": View(forms=({"name": st.text(max_size=40)},)),
    "crm:workspace_leave": View(),
    "crm:membership_role": View(kwargs=lambda ws: {"pk": MembershipFactory(workspace=ws).pk}, forms=({"role": ROLE},)),
    "crm:membership_remove": View(kwargs=lambda ws: {"pk": MembershipFactory(workspace=ws).pk}),
    "crm:invitation_resend": View(kwargs=lambda ws: {"pk": InvitationFactory(workspace=ws).pk}),
    "crm:invitation_revoke": View(kwargs=lambda ws: {"pk": InvitationFactory(workspace=ws).pk}),
    "crm:invitation_accept": View(kwargs=lambda ws: {"token": InvitationFactory(workspace=ws).token}),
    "monitoring:overview": View(),
    "monitoring:run_detail": View(kwargs=_run),
    "monitoring:counterparty_monitoring": View(
        kwargs=_counterparty, params={"monitoring": st.sampled_from([*MonitoringFrequency.values, ""])}
    ),
    "monitoring:bulk_monitoring": View(
        params={
            "monitoring": st.sampled_from(MonitoringFrequency.values),
            "counterparty": st.integers(1, 50).map(str),
            "next": st.sampled_from(["/crm/", "https://evil.example/", "//evil.example", ""]),
        }
    ),
    "notifications:index": View(
        forms=(
            {
                "email_enabled": SWITCH,
                "mode": st.sampled_from([*DeliveryMode.values, ""]),
                "min_severity": SEVERITY,
            },
        )
    ),
    "notifications:channel_add": View(
        query=("kind",), forms=({**CHANNEL_FIELDS, "kind": st.sampled_from(ChannelKind.values)},)
    ),
    # `kind` is not in the edit form: it is disabled there, and what is sent for it is ignored.
    "notifications:channel_edit": View(kwargs=_channel, forms=(CHANNEL_FIELDS,)),
    "notifications:channel_delete": View(kwargs=_channel),
    "notifications:channel_test": View(kwargs=_channel),
    "api_pages:keys": View(forms=({"name": st.text(max_size=40), "scope": st.sampled_from(["read", "write", ""])},)),
    "api_pages:webhooks": View(
        forms=(
            {
                "url": st.sampled_from(["https://erp.example/hooks", "http://127.0.0.1/x", "ftp://x", ""]),
                "description": st.text(max_size=30),
                "events": st.sampled_from(["check.completed", "alert.created", "nonsense", ""]),
            },
        )
    ),
    # The owners' pages with an id (tests/api/isolation.py builds their objects).
    **{name: View(kwargs=build) for name, (_method, build) in PAGE_OBJECT_URLS.items()},
    "notifications:delivery_retry": View(
        kwargs=lambda ws: {"pk": DeliveryFactory(alert__check_run__counterparty__workspace=ws, status="failed").pk}
    ),
}


def _import(ws: Workspace) -> dict:
    from tests.imports.factories import ImportRowFactory

    return {"pk": ImportRowFactory(job__workspace=ws).job_id}


# The upload's file field receives text here (the harness posts urlencoded bodies): a FileField refuses it.
COLUMN = st.sampled_from(["", "0", "1", "7", "-1"])
VIEWS.update(
    {
        "imports:upload": View(forms=({"file": st.text(max_size=20)},)),
        "imports:template_csv": View(),
        "imports:template_xlsx": View(),
        "imports:job": View(kwargs=_import, query=("show", "page")),
        "imports:mapping": View(
            kwargs=_import,
            forms=(dict.fromkeys(FIELD_NAMES, COLUMN),),
        ),
        "imports:commit": View(kwargs=_import),
        "imports:discard": View(kwargs=_import),
        "imports:progress": View(kwargs=_import),
        "imports:report_csv": View(kwargs=_import),
        "imports:report_xlsx": View(kwargs=_import),
    }
)
# Third-party URLs: the admin has its own test below; allauth's pages get the GET sweep only. The REST API
# answers API keys, not this owner's session: tests/api/test_hostile_api.py sweeps it the same way, with a key.
THIRD_PARTY_NAMESPACES = {"admin", "api"}
ALLAUTH_PREFIX = "account_"


def _all_url_names() -> dict[str, object]:
    return {name: pattern for name, pattern in walk_urlconf(get_resolver())}


def test_every_view_is_listed():
    unlisted = [
        name
        for name in _all_url_names()
        if name not in VIEWS
        and name.split(":")[0] not in THIRD_PARTY_NAMESPACES
        and not name.startswith(ALLAUTH_PREFIX)
    ]
    assert not unlisted, f"add these views to VIEWS in {__name__}: {unlisted}"


def test_every_form_of_the_project_refuses_unstorable_input():
    """Every form class of the project has the mixin, so that a new form cannot forget it."""
    get_resolver().url_patterns  # noqa: B018 -- imports every view, and with them every form they use

    def subclasses(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = {cls for cls in subclasses(forms.BaseForm) if cls.__module__.split(".")[0] in PROJECT_APPS}
    assert ours, "no form of the project found"
    missing = sorted(cls.__qualname__ for cls in ours if not issubclass(cls, StorableInputMixin))
    assert not missing, f"put StorableInputMixin first among the bases of {missing}"


# --- the harness --------------------------------------------------------------------------------------
@pytest.fixture
def registry(settings, registry_simulator_session):
    """Every registry call of these tests goes to the simulator, which counts them."""
    settings.VIES_WSDL_URL = registry_simulator_session.wsdl_url
    settings.VIES_SERVICE_URL = registry_simulator_session.service_url
    settings.REGISTRY_SIMULATOR_URL = registry_simulator_session.base_url
    return registry_simulator_session.stats


@contextmanager
def _rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
    }


@dataclass
class Outcome:
    response: HttpResponse
    rows_changed: bool
    registry_calls: int

    @property
    def status(self) -> int:
        return self.response.status_code


def _send(client, registry, method: str, path: str, **extra) -> Outcome:
    before_rows, before_calls = _row_counts(), registry.requests
    response = getattr(client, method)(path, **extra)
    assert response.status_code < 500, f"{method.upper()} {path[:200]} answered {response.status_code}"
    return Outcome(response, _row_counts() != before_rows, registry.requests - before_calls)


def _post_json(client, registry, url_name: str, body: str | bytes) -> Outcome:
    return _send(
        client,
        registry,
        "post",
        reverse(url_name),
        data=body,
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )


def _sent(params: dict[str, str | list[str]]) -> Iterator[str]:
    for value in params.values():
        yield from value if isinstance(value, list) else [value]


def _path(url_name: str, view: View | None, ws: Workspace, data: st.DataObject) -> str:
    """The view's path: for the owner's real object, or with hostile path arguments."""
    pattern = _all_url_names()[url_name].pattern
    arguments = list(pattern.converters) or list(pattern.regex.groupindex)
    if not arguments:
        return reverse(url_name)
    if view is not None and view.kwargs is not None and data.draw(st.booleans(), label="real object"):
        return reverse(url_name, kwargs=view.kwargs(ws))
    # Reverse with placeholders the converters accept, then put hostile text (percent-encoded) in their place.
    placeholders = {name: f"{7_000_000 + index}" for index, name in enumerate(arguments)}
    path = reverse(url_name, kwargs=placeholders)
    digits = st.one_of(st.integers(0, 2**70).map(str), st.integers(19, 5_000).map(lambda n: "9" * n))
    for name, placeholder in placeholders.items():
        value = data.draw(digits | HOSTILE, label=f"path {name}")
        path = path.replace(placeholder, quote(value.encode("utf-8", "surrogatepass"), safe=""), 1)
    return path


def _query(names: tuple[str, ...], data: st.DataObject) -> dict[str, str | list[str]]:
    """One of the parameters surely hostile, any of the others too."""
    target = data.draw(st.sampled_from(names), label="hostile parameter")
    others = dict.fromkeys((name for name in names if name != target), PARAMETER)
    return data.draw(st.fixed_dictionaries({target: PARAMETER}, optional=others), label="query")


def _fields(fields: dict[str, st.SearchStrategy], hostile: st.SearchStrategy, data: st.DataObject) -> dict:
    """Every field of a form, one of them surely hostile, the others mostly plausible, so it gets far."""
    target = data.draw(st.sampled_from(sorted(fields)), label="hostile field")
    values = {
        name: hostile if name == target else st.one_of(strategy, strategy, hostile) for name, strategy in fields.items()
    }
    return data.draw(st.fixed_dictionaries(values), label="fields")


# --- GET: every view, hostile query parameters ----------------------------------------------------------
@pytest.mark.parametrize("url_name", sorted(VIEWS))
@EXAMPLES
@given(data=st.data())
def test_get_with_hostile_parameters(url_name, owner, registry, data):
    view = VIEWS[url_name]
    with _rolled_back():
        path = _path(url_name, view, owner.workspace, data)
        params = _query(COMMON_QUERY + view.query, data)
        outcome = _send(owner.client, registry, "get", f"{path}?{_urlencoded(params)}")
        assert outcome.registry_calls == 0
        if any(NUL in value for value in _sent(params)):
            assert outcome.status == 400  # the middleware: no lookup ever sees a NUL


# --- POST: every view, its forms with hostile fields ------------------------------------------------------
def _hostile_form(view: View, data: st.DataObject) -> tuple[dict[str, str | list[str]], dict]:
    """Field values, and the form (the fields it reads) they were drawn for."""
    form = data.draw(st.sampled_from(view.forms), label="form") if view.forms else {}
    fields = {**form, **view.params}
    params = _fields(fields, PARAMETER, data) if fields else {}
    params.update(_query(("unknown",), data))
    return params, form


@pytest.mark.parametrize("url_name", sorted(name for name, view in VIEWS.items() if view.post))
@EXAMPLES
@given(data=st.data())
def test_post_with_hostile_forms(url_name, owner, registry, data):
    view = VIEWS[url_name]
    with _rolled_back():
        path = _path(url_name, view, owner.workspace, data)
        params, form = _hostile_form(view, data)
        outcome = _send(
            owner.client,
            registry,
            "post",
            path,
            data=_urlencoded(params),
            content_type="application/x-www-form-urlencoded",
        )
        rejected = outcome.status >= 400 or outcome.status == 200  # a form shown again is a rejection
        if rejected:
            assert not outcome.rows_changed
        # A checkbox reads only whether it was sent: nothing of its value is kept, so it need not refuse it.
        texts = [name for name, strategy in form.items() if name in params and strategy is not SWITCH]
        if any(NUL in _as_received(params[name]) for name in texts):
            assert rejected and not outcome.rows_changed and outcome.registry_calls == 0


@pytest.mark.parametrize("url_name", sorted(name for name, view in VIEWS.items() if view.json))
@EXAMPLES
@given(data=st.data())
def test_post_json_with_hostile_values(url_name, owner, registry, data):
    view = VIEWS[url_name]
    with _rolled_back():
        body = _fields(view.forms[0], JSON_VALUES, data)
        outcome = _post_json(owner.client, registry, url_name, json.dumps(body))
        assert outcome.status in {201, 400}
        if outcome.status == 400:
            assert not outcome.rows_changed
        if any(_cannot_be_stored(value) for value in body.values()):
            assert outcome.status == 400 and not outcome.rows_changed and outcome.registry_calls == 0


@pytest.mark.parametrize("url_name", sorted(name for name, view in VIEWS.items() if view.json))
@EXAMPLES
@given(body=NOT_JSON_OBJECTS)
def test_post_json_that_is_not_a_flat_object(url_name, owner, registry, body):
    with _rolled_back():
        outcome = _post_json(owner.client, registry, url_name, body.encode("utf-8", "surrogatepass"))
        assert outcome.status == 400 and not outcome.rows_changed and outcome.registry_calls == 0


# --- third-party pages: allauth and the admin -------------------------------------------------------------
ALLAUTH_URLS = sorted(name for name in _all_url_names() if name.startswith(ALLAUTH_PREFIX))


@pytest.mark.parametrize("url_name", ALLAUTH_URLS)
@settings(EXAMPLES, max_examples=4)
@given(data=st.data())
def test_allauth_pages_with_hostile_parameters(url_name, owner, registry, data):
    with _rolled_back():
        path = _path(url_name, None, owner.workspace, data)
        params = _query((*COMMON_QUERY, "key", "email", "process"), data)
        _send(owner.client, registry, "get", f"{path}?{_urlencoded(params)}")


def _changelist_parameters(model_admin: admin.ModelAdmin) -> tuple[str, ...]:
    """Search, ordering, page and popup parameters, and the lookups the changelist's filters use."""
    names = ["q", "o", "p", "e", "all", "_to_field", "_popup", "id", "id__exact", "pk__in"]
    for entry in model_admin.list_filter:
        path = entry if isinstance(entry, str) else entry[0] if isinstance(entry, tuple) else entry.parameter_name
        names += [path, f"{path}__exact", f"{path}__isnull", f"{path}__id__exact", f"{path}__gte", f"{path}__lt"]
    if model_admin.date_hierarchy:
        names += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    return tuple(names)


@settings(EXAMPLES, max_examples=40)
@given(data=st.data())
def test_admin_changelists_with_hostile_parameters(owner, registry, data):
    owner.user.is_staff = owner.user.is_superuser = True
    owner.user.save(update_fields=["is_staff", "is_superuser"])
    model, model_admin = data.draw(st.sampled_from(sorted(admin.site._registry.items(), key=str)), label="admin")
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with _rolled_back():
        params = _query(_changelist_parameters(model_admin), data)
        outcome = _send(owner.client, registry, "get", f"{url}?{_urlencoded(params)}")
        assert not outcome.rows_changed


# --- the cases the outside test reported, one by one ------------------------------------------------------
@pytest.mark.parametrize(
    "url_name",
    [
        "crm:counterparty_list",
        "crm:counterparty_export_csv",
        "crm:counterparty_export_xlsx",
        "crm:verify",
        "crm:workspace_settings",
        "monitoring:overview",
        "notifications:index",
        "notifications:channel_add",
    ],
)
@pytest.mark.parametrize("value", ["²", "①", "\uff11", str(2**63), "-1"])
def test_a_workspace_id_that_is_not_one_is_ignored(url_name, value, owner):
    response = owner.client.get(reverse(url_name), {"workspace": value})
    assert response.status_code in {200, 302}
    assert owner.client.session.get(SESSION_KEY) in {None, owner.workspace.pk}


def test_the_bulk_form_refuses_an_id_that_is_not_one(owner):
    counterparty = CounterpartyFactory(workspace=owner.workspace)
    response = owner.client.post(
        reverse("monitoring:bulk_monitoring"), {"monitoring": "daily", "counterparty": [str(counterparty.pk), "²"]}
    )
    assert response.status_code == 400
    counterparty.refresh_from_db()
    assert counterparty.monitoring == MonitoringFrequency.OFF


@pytest.mark.parametrize(
    ("name", "status", "registry_calls"),
    [("Alpenblick", 201, 1), ("Alpenblick \ud800", 400, 0), ("Alpenblick \x00", 400, 0)],
)
def test_unstorable_text_is_refused_before_the_registry(name, status, registry_calls, owner, registry):
    outcome = _post_json(owner.client, registry, "crm:verify", json.dumps({"vat_number": "ATU72943648", "name": name}))
    assert outcome.status == status and outcome.registry_calls == registry_calls
    assert Counterparty.objects.exists() == (status == 201)
    if status == 400:
        assert outcome.response.json()["errors"]["name"][0]["code"] in {"unstorable", "null_characters_not_allowed"}


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ("[" * 100_000, "__all__", "invalid_json"),
        ('{"vat_number": ' + "[" * 50 + "]" * 50 + "}", "__all__", "invalid_json"),
        ('{"vat_number": "ATU72943648", "name": [["x"]]}', "name", "not_text"),
        ('{"vat_number": "ATU72943648", "name": {"a": "b"}}', "name", "not_text"),
        ('["ATU72943648"]', "__all__", "invalid_json"),
    ],
)
def test_nested_json_is_refused(body, field, code, owner, registry):
    outcome = _post_json(owner.client, registry, "crm:verify", body)
    assert outcome.status == 400 and outcome.registry_calls == 0 and not outcome.rows_changed
    assert outcome.response.json()["errors"][field][0]["code"] == code


@pytest.mark.parametrize(
    "url",
    ["/admin/crm/counterparty/?status=valid%00", "/admin/crm/counterparty/?q=%00", "/invitations/x%00/"],
)
def test_a_nul_in_the_address_is_a_400(url, owner):
    owner.user.is_staff = owner.user.is_superuser = True
    owner.user.save(update_fields=["is_staff", "is_superuser"])
    response = owner.client.get(url)
    assert response.status_code == 400
    assert b"NUL" in response.content
