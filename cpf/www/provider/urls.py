"""The providers' space: the provider's identity and referencing status, its members (mounted
at /organisme/)."""

from django.urls import path

from . import views

app_name = "provider"

urlpatterns = [
    path("", views.home, name="home"),
    path("<int:provider_id>/", views.provider_page, name="provider"),
    path("<int:provider_id>/membres/", views.members, name="members"),
    path(
        "<int:provider_id>/membres/<int:membership_id>/<slug:action>/",
        views.member_action,
        name="member_action",
    ),
    path(
        "<int:provider_id>/invitations/<int:invitation_id>/annuler/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
]
