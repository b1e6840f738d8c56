from django.urls import path

from recordings import views

urlpatterns = [
    path("events/<int:pk>/clip.mp4", views.event_clip, name="event-clip"),
    path("events/<int:pk>/evidence.zip", views.event_evidence_download, name="event-evidence"),
]
