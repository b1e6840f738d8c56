from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

admin.site.site_header = _("Vigil threat-handling panel")
admin.site.site_title = "Vigil"
admin.site.index_title = _("Operations")
# The app list beside every page took 300 px of a 1366 px operator screen from the work queue; the admin
# home and the breadcrumbs lead to the same places.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", include("livemap.urls")),
    path("", include("flow.urls")),
    path("", include("system.urls")),
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
    path("", include("cameras.urls")),
    path("", include("events.urls")),  # before the admin: it holds /admin/dashboard/
    path("", include("recordings.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("vigilsite.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the Content-Security-Policy runs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

handler400 = "core.errors.client_error"
handler404 = "core.errors.not_found"
handler500 = "core.errors.server_error"
