"""The health probe (included by vigilsite/urls.py)."""

from django.urls import path

from system import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
