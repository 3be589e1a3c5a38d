"""The holder's account: sign-up, login, rights."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
