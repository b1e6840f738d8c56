"""The cameras' pages (included by vigilsite/urls.py)."""

from django.urls import path

from cameras import views

urlpatterns = [
    path("cameras/<slug:slug>/latest.jpg", views.camera_latest_frame, name="camera-latest-frame"),
]
