from django.urls import path

from cpf.api.v1.api import api

urlpatterns = [path("v1/", api.urls)]
