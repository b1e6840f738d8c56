"""The people-flow pages (included by vigilsite/urls.py)."""

from django.urls import path

from flow import views

urlpatterns = [
    path("flow/", views.flow_dashboard, name="flow-dashboard"),
    path("flow/export.csv", views.flow_export, name="flow-export"),
]
