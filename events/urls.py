"""The events' pages (included by vigilsite/urls.py, before the admin: the dashboard lives under /admin/)."""

from django.contrib import admin
from django.urls import path

from events import views

urlpatterns = [
    path("events/<int:pk>/<str:kind>.jpg", views.event_snapshot, name="event-snapshot"),
    path("admin/dashboard/", admin.site.admin_view(views.operations_dashboard), name="operations-dashboard"),
]
