"""The funders' space: grants to holders (mounted at /financeurs/)."""

from django.urls import path

from . import views

app_name = "funder"

urlpatterns = [
    path("", views.home, name="home"),
    path("<int:funder_id>/", views.funder_page, name="funder"),
]
