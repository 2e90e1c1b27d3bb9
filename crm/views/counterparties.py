"""CRM pages for counterparties. Every queryset starts from the request's workspace."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.generic import DetailView, ListView

from ..consultation import consultation_note
from ..exports import export_response
from ..filters import CounterpartyFilter
from ..models import Counterparty
from ..pagination import NearestEndPaginator
from ..templatetags.vocabulary import counterparty_badge

BADGE_TEMPLATE = "crm/_status.html"  # the template of the counterparty_badge tag


class WorkspaceScopedMixin(LoginRequiredMixin):
    """Views over one model of the current workspace: another workspace's id is simply not found."""

    model = None

    def get_queryset(self):
        return self.model.objects.filter(workspace=self.request.workspace)


class CounterpartyListView(WorkspaceScopedMixin, ListView):
    model = Counterparty
    template_name = "crm/counterparty_list.html"
    context_object_name = "counterparties"
    paginate_by = 50
    paginator_class = NearestEndPaginator  # the last page costs what the first does

    def get_queryset(self):
        queryset = super().get_queryset().select_related("last_check")
        self.filterset = CounterpartyFilter(self.request.GET, queryset=queryset)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_without_page"] = query.urlencode()
        rows_prepare(context["counterparties"])
        return context


def rows_prepare(counterparties: Iterable[Counterparty]) -> None:
    """What each row of the list shows, worked out once per page rather than by tags in every row.

    A page of 50 rows spent most of its time in the row template: a `{% url %}` (a reverse()), two
    `{% blocktranslate %}`, a date filter and the status badge's inclusion tag per row. The same strings
    come out: the translations are looked up once (the same msgids as the template's, so the catalogue is
    unchanged), the link is the one reverse() gives with the id in its place, and the badge is the
    `counterparty_badge` tag's template with that tag's values.
    """
    detail_url = _url_with_id("crm:counterparty_detail")
    tick, registry = gettext("Tick %(name)s"), gettext("Registry: %(name)s")
    badges: dict[tuple[str | None, ...], str] = {}
    for counterparty in counterparties:
        # The badge tag's own template, rendered once per kind of badge on the page (a handful), not per row.
        words = counterparty_badge(counterparty)
        kind = tuple(getattr(words[key], "code", None) for key in ("status", "attempt", "attempt_status"))
        if kind not in badges:
            badges[kind] = render_to_string(BADGE_TEMPLATE, words)
        counterparty.badge = badges[kind]
        name = counterparty.display_name
        counterparty.detail_url = detail_url(counterparty.pk)
        counterparty.tick_label = tick % {"name": name}
        shows_registry = (
            counterparty.registered_name and counterparty.name and counterparty.name != counterparty.registered_name
        )
        counterparty.registry_label = registry % {"name": counterparty.registered_name} if shows_registry else ""
        checked = counterparty.last_checked_at
        # The `date:"c"` filter's value: ISO 8601 in the current time zone.
        counterparty.checked_iso = timezone.localtime(checked).isoformat() if checked else ""


def _url_with_id(name: str) -> Callable[[int], str]:
    """reverse(name, args=[pk]) for any pk, at the cost of one reverse(): the pattern's only argument is an int."""
    marker = 987654321
    head, tail = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{head}{int(pk)}{tail}"


class CounterpartyDetailView(WorkspaceScopedMixin, DetailView):
    model = Counterparty
    template_name = "crm/counterparty_detail.html"
    context_object_name = "counterparty"

    def get_object(self, queryset=None):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        checks = list(self.object.checks.prefetch_related("results").select_related("triggered_by")[:20])
        for check in checks:
            check.consultation_note = consultation_note(check)
        context["checks"] = checks
        context["consultation_note"] = checks[0].consultation_note if checks else None
        context["changes"] = self.object.changes.select_related("actor")[:50]
        context["tags"] = self.object.tags.all()
        return context


@login_required
def counterparty_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """The list as filtered on the page (same query string), as CSV or XLSX."""
    queryset = Counterparty.objects.filter(workspace=request.workspace)
    return export_response(request, CounterpartyFilter(request.GET, queryset=queryset).qs, file_format)
