from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from cameras import views as camera_views
from events import views as event_views
from flow import views as flow_views
from livemap import views as livemap_views
from system import views as system_views

admin.site.site_header = _("Vigil threat-handling panel")
admin.site.site_title = "Vigil"
admin.site.index_title = _("Operations")
# The app list beside every page took 300 px of a 1366 px operator screen from the work queue; the admin
# home and the breadcrumbs lead to the same places.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", livemap_views.map_page, name="home"),
    path("map/", livemap_views.map_page, name="map"),
    path("flow/", flow_views.flow_dashboard, name="flow-dashboard"),
    path("flow/export.csv", flow_views.flow_export, name="flow-export"),
    path("healthz", system_views.healthz, name="healthz"),
    # The language switcher (POST, CSRF) and the scripts' translations, served as a file from 'self' as
    # the Content-Security-Policy wants, to logged-in users like every other page.
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "jsi18n/",
        login_required(JavaScriptCatalog.as_view(packages=["livemap", "flow", "events", "cameras"])),
        name="javascript-catalog",
    ),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cameras/<slug:slug>/latest.jpg", camera_views.camera_latest_frame, name="camera-latest-frame"),
    path("events/<int:pk>/<str:kind>.jpg", event_views.event_snapshot, name="event-snapshot"),
    path("admin/dashboard/", admin.site.admin_view(event_views.operations_dashboard), name="operations-dashboard"),
    path("admin/", admin.site.urls),
    path("api/", include("vigilsite.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the Content-Security-Policy runs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

handler400 = "vigilsite.errors.client_error"
handler404 = "vigilsite.errors.not_found"
handler500 = "vigilsite.errors.server_error"
