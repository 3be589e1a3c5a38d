"""Demo training organisations, located in real communes drawn by population."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cpf.providers.enums import BankDetailsStatus, ProviderStatus

from . import identity
from .snapshot import CommuneRow, ReferentialSnapshot

PROVIDER_COLUMNS = (
    "id",
    "legal_name",
    "siret",
    "nda",
    "qualiopi_number",
    "qualiopi_valid_from",
    "qualiopi_valid_until",
    "address",
    "commune_id",
    "contact_name",
    "email",
    "phone",
    "website",
    "status",
    "delisted_until",
    "created_at",
    "updated_at",
)

# Every generated provider has bank details verified and in force since its creation.
BANK_DETAILS_COLUMNS = (
    "provider_id",
    "iban",
    "bic",
    "account_holder_name",
    "status",
    "submitted_at",
    "verified_at",
    "effective_from",
    "rejection_reason",
)

# Referencing status shares: most are referenced, a few still apply or have payments suspended.
STATUS_SHARES = (
    (ProviderStatus.REFERENCED, 0.95),
    (ProviderStatus.APPLYING, 0.03),
    (ProviderStatus.SUSPENDED, 0.02),
)
# The largest organisations (national networks) train all over France.
NETWORK_SHARE = 0.01
ESTABLISHED_SHARE = 0.1


@dataclass
class ProviderProfile:
    """What the offer generator needs to know of a generated provider; ``size_rank`` 0 is the
    largest organisation."""

    id: int
    commune: CommuneRow
    status: str
    size_rank: int
    is_network: bool
    reference_style: int
    references: int = 0

    def next_reference(self, certification_code: str, year: int) -> str:
        self.references += 1
        if self.reference_style == 0:
            return f"F{self.references:04d}"
        if self.reference_style == 1:
            return f"{certification_code}-{self.references:02d}"
        return f"CPF-{year}-{self.references:03d}"


def _status(rng: random.Random) -> str:
    value = rng.random()
    for status, share in STATUS_SHARES:
        value -= share
        if value < 0:
            return status
    return ProviderStatus.REFERENCED


def build_providers(
    *,
    rng: random.Random,
    snapshot: ReferentialSnapshot,
    count: int,
    first_id: int,
    taken_sirets: set[str],
    today: date,
    now: datetime,
) -> tuple[list[ProviderProfile], list[tuple], list[tuple]]:
    """``count`` providers with ids from ``first_id``: their profiles, their table rows and
    their bank details' rows.
    Organisations are larger in larger towns: their size rank follows the square root of their
    commune's population, times a log-normal factor."""
    networks = max(1, round(count * NETWORK_SHARE))
    communes = [snapshot.national.pick(rng) for _ in range(count)]
    sizes = [math.sqrt(commune.population) * rng.lognormvariate(0, 1) for commune in communes]
    ranks = {index: rank for rank, index in enumerate(sorted(range(count), key=lambda i: -sizes[i]))}
    profiles, rows, bank_rows = [], [], []
    for index, commune in enumerate(communes):
        rank = ranks[index]
        place = identity.Place(
            name=commune.name,
            department_code=commune.department_code,
            department_name=snapshot.department_names.get(commune.department_code, commune.name),
            region_code=commune.region_code,
            region_name=snapshot.region_names.get(commune.region_code, ""),
        )
        # The largest organisations are established ones: new applicants start small.
        status = _status(rng) if rank >= count * ESTABLISHED_SHARE else ProviderStatus.REFERENCED
        siret = identity.siret(rng)
        while siret in taken_sirets:
            siret = identity.siret(rng)
        taken_sirets.add(siret)
        name = identity.provider_name(rng, place)
        domain = identity.web_domain(name)
        number, valid_from, valid_until = identity.qualiopi(
            rng, today, expired=status == ProviderStatus.SUSPENDED
        )
        iban, bic = identity.iban_and_bic(rng)
        created = now - timedelta(seconds=rng.randrange(400 * 86400, 3000 * 86400))
        updated = created + (now - created) * rng.random()
        rows.append(
            (
                first_id + index,
                name,
                siret,
                identity.nda(rng, place),
                number,
                valid_from.isoformat(),
                valid_until.isoformat(),
                identity.street_address(rng),
                commune.id,
                identity.contact_name(rng),
                f"contact@{domain}",
                identity.phone(rng, commune.region_code),
                f"https://www.{domain}",
                status,
                None,
                created.isoformat(),
                updated.isoformat(),
            )
        )
        since = created.isoformat()
        bank_rows.append(
            (
                first_id + index,
                iban,
                bic,
                name[:200],
                BankDetailsStatus.VERIFIED.value,
                since,
                since,
                since,
                "",
            )
        )
        profiles.append(
            ProviderProfile(first_id + index, commune, status, rank, rank < networks, rng.randrange(3))
        )
    return profiles, rows, bank_rows
