from django.urls import path

from recordings import views

urlpatterns = [
    path("events/<int:pk>/clip.mp4", views.event_clip, name="event-clip"),
    path("events/<int:pk>/evidence.zip", views.event_evidence_download, name="event-evidence"),
    path("cameras/<int:pk>/live/", views.camera_live, name="camera-live"),
    path("cameras/<int:pk>/live.m3u8", views.camera_live_playlist, name="camera-live-playlist"),
    path("cameras/<int:pk>/live/detections.json", views.camera_live_detections, name="camera-live-detections"),
    path("cameras/<int:pk>/segments/<int:id>.ts", views.camera_segment, name="camera-segment"),
    path("cameras/<int:pk>/recording.m3u8", views.camera_recording_playlist, name="camera-recording-playlist"),
    path("cameras/<int:pk>/timeline/", views.camera_timeline, name="camera-timeline"),
]
