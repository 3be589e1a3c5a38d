"""The holder's own account for the mobile app: token login and logout, identity, terms of
use, rights and their history (rules 27 and 28).

Authentication is a bearer token (``POST /auth/token`` with the NIR and the password), stored
hashed, expiring, revoked by ``POST /auth/logout`` or a password reset. The token login shares
the site's lock-out counters (``cpf/accounts/throttling.py``). Every ``/me`` endpoint answers
about the token's holder only: no endpoint takes a holder's identifier, so another holder's data
is never reachable. Amounts are integer cents.
"""

import datetime
from typing import Literal

from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables
from ninja import Field, Query, Router, Schema, Status
from ninja.security import HttpBearer

from cpf.core import clock
from cpf.core.errors import BusinessError
from cpf.holders import services
from cpf.holders.login import log_in_holder
from cpf.holders.models import Holder, TermsVersion
from cpf.holders.nir import parse_nir
from cpf.ledger.queries import holder_history, holder_history_count
from cpf.rights.queries import rights_summary

from .errors import Errors

router = Router(tags=["titulaire"])

TERMS_TO_ACCEPT = (
    "Les conditions d'utilisation ont changé : acceptez la nouvelle version (POST /api/v1/me/terms) "
    "pour continuer."
)


class HolderTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: an unexpired, unrevoked token of an active login."""

    def authenticate(self, request: HttpRequest, token: str) -> Holder | None:
        if not token or len(token) > 200:
            return None
        today = clock.today()
        found = services.token_holder(token, now=clock.now(), today=today)
        if found is None:
            return None
        request.api_token = found.token
        # Rule 27, read with the token: ``require_current_terms`` needs no query of its own.
        found.holder.terms_accepted_on = (today, found.terms_accepted)
        return found.holder


bearer = HolderTokenAuth()


class TermsNotAccepted(BusinessError):
    """Rule 27: nothing else until the terms of use in force are accepted."""

    code = "terms_not_accepted"
    status = 403


def errors(message: str, field: str = "") -> dict:
    return {"errors": [{"field": field, "message": message}]}


class TokenIn(Schema):
    nir: str = Field(max_length=30, description="Numéro de sécurité sociale, 15 caractères (espaces permis).")
    password: str = Field(
        max_length=4096, description="Mot de passe de l'accès.", json_schema_extra={"format": "password"}
    )


class TokenOut(Schema):
    access_token: str = Field(description="À envoyer dans l'en-tête `Authorization: Bearer …`.")
    token_type: Literal["Bearer"] = "Bearer"
    expires_at: datetime.datetime


class TermsOut(Schema):
    version: str
    in_force_from: datetime.date
    text: str


class TermsAcceptIn(Schema):
    version: str = Field(max_length=20, description="La version en vigueur, telle que donnée par GET /terms.")


class MeOut(Schema):
    masked_nir: str = Field(description="Le NIR masqué, par exemple « 1 85 05 •• ••• ••• 42 ».")
    birth_name: str
    first_names: str
    birth_date: datetime.date | None
    email: str
    email_confirmed: bool
    terms_accepted: bool = Field(
        description="Faux tant que la version en vigueur des CGU n'est pas acceptée."
    )
    current_terms_version: str | None


@router.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, 401: Errors, 403: Errors, 422: Errors, 429: Errors},
    summary="Se connecter avec le NIR et le mot de passe",
    description=(
        "Renvoie un jeton porteur. 401 : NIR ou mot de passe incorrect ; 403 : adresse e-mail non "
        "confirmée (un nouveau lien est envoyé) ou accès désactivé ; 429 : trop d'échecs sur ce "
        "compte depuis cette adresse (une réinitialisation du mot de passe la débloque), ou depuis "
        "cette adresse tous comptes confondus (attendre la fin du blocage)."
    ),
)
@sensitive_variables("payload")
def create_token(request: HttpRequest, payload: TokenIn):
    # An invalid NIR (422) and a refused login (its own status) are answered by api.py.
    holder = log_in_holder(
        request,
        nir=parse_nir(payload.nir),
        password=payload.password,
        site_url=request.build_absolute_uri("/"),
        now=clock.now(),
    )
    token, raw = services.issue_api_token(holder=holder, now=clock.now())
    return Status(200, {"access_token": raw, "expires_at": token.expires_at})


@router.post(
    "/auth/logout",
    auth=bearer,
    response={204: None, 401: Errors},
    summary="Se déconnecter : le jeton est révoqué",
)
def revoke_token(request: HttpRequest):
    services.revoke_api_token(token=request.api_token, now=clock.now())
    return Status(204, None)


@router.get(
    "/terms", auth=None, response={200: TermsOut, 404: Errors}, summary="Conditions d'utilisation en vigueur"
)
def current_terms(request: HttpRequest):
    terms = TermsVersion.objects.current(clock.today())
    if terms is None:
        return Status(404, errors("Les conditions d'utilisation ne sont pas encore publiées."))
    return Status(200, terms)


@router.get("/me", auth=bearer, response={200: MeOut, 401: Errors}, summary="Mon identité")
def me(request: HttpRequest):
    holder: Holder = request.auth
    current = TermsVersion.objects.current(clock.today())
    return Status(
        200,
        {
            "masked_nir": holder.masked_nir,
            "birth_name": holder.birth_name,
            "first_names": holder.first_names,
            "birth_date": holder.birth_date,
            "email": holder.user.email,
            "email_confirmed": holder.email_confirmed,
            # Rule 27 as the token's statement read it (the newest version in force accepted).
            "terms_accepted": holder.terms_accepted_on[1],
            "current_terms_version": current.version if current else None,
        },
    )


@router.post(
    "/me/terms",
    auth=bearer,
    response={204: None, 401: Errors, 422: Errors},
    summary="Accepter les conditions d'utilisation en vigueur",
)
def accept_terms(request: HttpRequest, payload: TermsAcceptIn):
    current = TermsVersion.objects.current(clock.today())
    if current is None or payload.version != current.version:
        raise services.TermsRefused(services.TERMS_CHANGED, field="version", code="terms_changed")
    services.accept_terms(holder=request.auth, terms=current, now=clock.now())
    return Status(204, None)


def require_current_terms(holder: Holder) -> None:
    """Rule 27: nothing else until the terms in force are accepted (read with the token the
    same day, or asked)."""
    today = clock.today()
    known = getattr(holder, "terms_accepted_on", None)
    accepted = known[1] if known and known[0] == today else None
    if accepted is None:
        accepted = services.has_accepted_current_terms(holder=holder, today=today)
    if not accepted:
        raise TermsNotAccepted(TERMS_TO_ACCEPT, field="terms")


class GrantOut(Schema):
    funder_name: str
    amount_cents: int = Field(description="Montant versé, en centimes.")
    remaining_cents: int = Field(description="Reste disponible, en centimes.")
    earmarked_for: list[str] = Field(description="Certifications visées ; vide : toute formation éligible.")
    granted_at: datetime.datetime


class RightsOut(Schema):
    balance_cents: int = Field(description="Droits disponibles, en centimes (hors dotations).")
    ceiling_cents: int = Field(description="Plafond des crédits annuels, en centimes (règles 1, 3 et 7).")
    grants: list[GrantOut]


class HistoryLineOut(Schema):
    at: datetime.datetime
    kind: str = Field(description="yearly_credit, credit_correction, grant, corrective_grant…")
    label: str = Field(description="Libellé en français.")
    amount_cents: int = Field(description="Montant en centimes ; négatif pour un débit.")
    year: int | None = Field(description="Année des droits, pour un crédit annuel.")
    rate_cents: int | None = Field(description="Taux annuel appliqué, en centimes, pour un crédit annuel.")
    capped_cents: int = Field(description="Part coupée par le plafond, en centimes (règle 7).")
    reference: str


class LedgerPageOut(Schema):
    page: int
    page_size: int
    count: int = Field(description="Nombre total d'opérations.")
    items: list[HistoryLineOut]


class LedgerQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000, description="Numéro de page, à partir de 1.")
    page_size: int = Field(20, ge=1, le=50, description="Opérations par page, 50 au plus.")


@router.get(
    "/me/rights",
    auth=bearer,
    response={200: RightsOut, 401: Errors, 403: Errors},
    summary="Mes droits : solde, plafond, dotations",
)
def my_rights(request: HttpRequest):
    require_current_terms(request.auth)
    return Status(200, rights_summary(request.auth, today=clock.today()))


@router.get(
    "/me/ledger",
    auth=bearer,
    response={200: LedgerPageOut, 401: Errors, 403: Errors, 422: Errors},
    summary="Historique de mes droits, par pages, du plus récent au plus ancien",
)
def my_ledger(request: HttpRequest, query: Query[LedgerQuery]):
    require_current_terms(request.auth)
    offset = (query.page - 1) * query.page_size
    return Status(
        200,
        {
            "page": query.page,
            "page_size": query.page_size,
            "count": holder_history_count(request.auth),
            "items": holder_history(request.auth, limit=query.page_size, offset=offset),
        },
    )
