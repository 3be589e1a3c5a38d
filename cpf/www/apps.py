from django.apps import AppConfig


class WwwConfig(AppConfig):
    name = "cpf.www"
    label = "www"
    verbose_name = "Site public"
