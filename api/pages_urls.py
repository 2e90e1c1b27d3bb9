"""The owners' pages for the API, under the workspace's settings."""

from django.urls import path

from .views import pages, webhooks

app_name = "api_pages"

urlpatterns = [
    path("workspace/api-keys/", pages.api_keys, name="keys"),
    path("workspace/api-keys/<int:pk>/revoke/", pages.api_key_revoke, name="key_revoke"),
    path("workspace/webhooks/", webhooks.webhook_list, name="webhooks"),
    path("workspace/webhooks/<int:pk>/", webhooks.webhook_detail, name="webhook_detail"),
    path("workspace/webhooks/<int:pk>/toggle/", webhooks.webhook_toggle, name="webhook_toggle"),
    path("workspace/webhooks/<int:pk>/delete/", webhooks.webhook_delete, name="webhook_delete"),
    path(
        "workspace/webhooks/deliveries/<int:pk>/retry/",
        webhooks.webhook_delivery_retry,
        name="webhook_delivery_retry",
    ),
]
