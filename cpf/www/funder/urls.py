"""The funders' space: grants to holders, the funder's members (mounted at /financeurs/)."""

from django.urls import path

from . import views

app_name = "funder"

urlpatterns = [
    path("", views.home, name="home"),
    path("<int:funder_id>/", views.funder_page, name="funder"),
    path("<int:funder_id>/membres/", views.members, name="members"),
    path(
        "<int:funder_id>/membres/<int:membership_id>/<slug:action>/",
        views.member_action,
        name="member_action",
    ),
    path(
        "<int:funder_id>/invitations/<int:invitation_id>/annuler/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
]
