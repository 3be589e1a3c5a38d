"""The holder's own account: token login, identity, rights, ledger history."""

from ninja import Router

router = Router(tags=["titulaire"])
