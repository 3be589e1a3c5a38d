from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "cpf.rights"
    label = "rights"
    verbose_name = "Droits et abondements"
