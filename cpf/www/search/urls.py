"""Catalogue search and training pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("recherche", views.search_page, name="search"),
    path("recherche/lieux", views.place_options, name="search-places"),
    path("recherche/metiers", views.job_options, name="search-jobs"),
    path("formations/<int:training_id>", views.training_page, name="training"),
]
