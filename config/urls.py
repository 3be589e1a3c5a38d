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
