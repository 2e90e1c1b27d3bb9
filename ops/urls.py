from django.urls import path

from . import views

urlpatterns = [
    path("healthz", views.liveness, name="health"),
    path("healthz/ready", views.readiness, name="readiness"),
    path("metrics", views.metrics, name="metrics"),
]
