from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "cpf.catalogue"
    label = "catalogue"
    verbose_name = "Catalogue des formations"
