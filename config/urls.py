from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Compte Formation – administration"
admin.site.site_title = "Compte Formation"
admin.site.index_title = "Back-office des agents"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("cpf.api.urls")),
    path("", include("cpf.www.urls")),
]
