from django.contrib import admin
from django.urls import include, path

# admin.site is the back-office (cpf.www.backoffice.site.BackOfficeSite): agents only, with their
# second factor.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("cpf.api.urls")),
    path("", include("cpf.www.urls")),
]
