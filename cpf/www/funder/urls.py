"""The funders' space: grants to holders."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
