from django.urls import include, path

from . import views

app_name = "www"

urlpatterns = [
    path("", views.home, name="home"),
    path("sante", views.health, name="health"),
    path("", include("cpf.www.search.urls")),
    path("compte/", include("cpf.www.holder.urls")),
    path("financeurs/", include("cpf.www.funder.urls")),
    path("organisme/", include("cpf.www.provider.urls")),
    path("espace-pro/", include("cpf.www.members.urls")),
    path("paiements/", include("cpf.www.payments.urls")),
]
