"""CRM pages for counterparties. Every queryset starts from the request's workspace."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from ..filters import CounterpartyFilter
from ..models import Counterparty


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
        return context


class CounterpartyDetailView(WorkspaceScopedMixin, DetailView):
    model = Counterparty
    template_name = "crm/counterparty_detail.html"
    context_object_name = "counterparty"

    def get_object(self, queryset=None):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        checks = self.object.checks.prefetch_related("results").select_related("triggered_by")[:20]
        context["checks"] = checks
        return context
