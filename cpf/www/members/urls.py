"""The professional space's entrance (mounted at /espace-pro/)."""

from django.urls import path

from . import invitations, views

app_name = "members"

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
    path("invitation/<str:token>/", invitations.invitation, name="invitation"),
]
