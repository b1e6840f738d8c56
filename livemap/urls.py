"""The live map (included by vigilsite/urls.py): the home page."""

from django.urls import path

from livemap import views

urlpatterns = [
    path("", views.map_page, name="home"),
    path("map/", views.map_page, name="map"),
]
