from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "cpf.search"
    label = "search"
    verbose_name = "Recherche"
