from django.db import models


class UserKind(models.TextChoices):
    """Who a login belongs to (DESIGN.md section 1): each audience has its own space and rights."""

    HOLDER = "holder", "titulaire"
    PROVIDER_MEMBER = "provider_member", "membre d'un organisme de formation"
    FUNDER_MEMBER = "funder_member", "membre d'un financeur"
    AGENT = "agent", "agent de l'opérateur"


class AgentRole(models.TextChoices):
    """The operator's agents' roles (groups kept as code, ``cpf/accounts/roles.py``)."""

    SUPPORT = "support", "assistance"
    QUALITY = "quality", "qualité"
    FRAUD = "fraud", "lutte contre la fraude"
    PAYMENTS = "payments", "paiements"
    ADMINISTRATOR = "administrator", "administration"


class OrganisationType(models.TextChoices):
    """The kinds of organisation a person acts for."""

    PROVIDER = "provider", "organisme de formation"
    FUNDER = "funder", "financeur"


class LoginCounterScope(models.TextChoices):
    """What a login-failure counter watches (``cpf/accounts/throttling.py``)."""

    ACCOUNT = "account", "un compte depuis une adresse"
    ADDRESS = "address", "une adresse, tous comptes confondus"
