from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path

from sprechzeit.config.env import Mode
from sprechzeit.core.images import media_serve

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("sprechzeit.api.urls")),
    path("backoffice/", include("sprechzeit.backoffice.urls")),
    path("", include("sprechzeit.wallets.urls")),
    path("", include("sprechzeit.payments.urls")),
    path("", include("sprechzeit.consultations.urls")),
    path("", include("sprechzeit.statements.urls")),
    path("", include("sprechzeit.accounting.urls")),
    path("", include("sprechzeit.payouts.urls")),
    path("", include("sprechzeit.partner.urls")),
    path("", include("sprechzeit.site.urls")),
]

if settings.SPRECHZEIT_MODE is not Mode.PRODUCTION:
    # Uploaded logos and photos in the demo; production serves MEDIA_ROOT from the proxy,
    # with the same headers (deploy/nginx/sprechzeit.conf.in).
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", media_serve, name="media"))

handler400 = "sprechzeit.site.views.bad_request"
handler403 = "sprechzeit.site.views.permission_denied"
handler404 = "sprechzeit.site.views.page_not_found"
handler500 = "sprechzeit.site.views.server_error"
