from django.apps import AppConfig


class HoldersConfig(AppConfig):
    name = "cpf.holders"
    label = "holders"
    verbose_name = "Titulaires"
