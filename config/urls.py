from django.conf import settings
from django.contrib import admin
from django.urls import include, path

# admin.site is the back-office (cpf.www.backoffice.site.BackOfficeSite): agents only, with their
# second factor.

# A body over the size limit: 413 and a French page (JSON under /api/), not a bare 400.
handler400 = "cpf.www.errors.bad_request"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("cpf.api.urls")),
    path("", include("cpf.www.urls")),
]

# The sandbox payment provider, a separate system that accepts test cards: development and tests
# only (config/settings/production.py turns it off).
if settings.SANDBOX_PSP_ENABLED:
    urlpatterns.insert(-1, path("sandbox-psp/", include("cpf.sandbox_psp.urls")))
