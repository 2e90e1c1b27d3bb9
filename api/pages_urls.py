"""The owners' pages for the API, under the workspace's settings."""

from django.urls import path

from .views import pages

app_name = "api_pages"

urlpatterns = [
    path("workspace/api-keys/", pages.api_keys, name="keys"),
    path("workspace/api-keys/<int:pk>/revoke/", pages.api_key_revoke, name="key_revoke"),
]
