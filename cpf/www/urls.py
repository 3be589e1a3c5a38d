from django.urls import include, path

from . import pages, views

app_name = "www"

urlpatterns = [
    path("", views.home, name="home"),
    path("sante", views.health, name="health"),
    path("mentions-legales", pages.legal_notice, name="legal_notice"),
    path("accessibilite", pages.accessibility, name="accessibility"),
    path("contact", pages.contact, name="contact"),
    path("aide", pages.help_page, name="help"),
    path("", include("cpf.www.search.urls")),
    path("compte/", include("cpf.www.holder.urls")),
    path("financeurs/", include("cpf.www.funder.urls")),
    path("organisme/", include("cpf.www.provider.urls")),
    path("espace-pro/", include("cpf.www.members.urls")),
    path("paiements/", include("cpf.www.payments.urls")),
]
