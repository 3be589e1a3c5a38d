from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "cpf.bookings"
    label = "bookings"
    verbose_name = "Dossiers d'inscription"
