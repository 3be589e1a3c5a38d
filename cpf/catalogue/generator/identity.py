"""Identities of demo training organisations: SIRET, activity declaration number (NDA), IBAN,
Qualiopi certificate, name, address, contact. Every number passes the checks a real one passes
(rule 24): SIRET and SIREN Luhn keys, 11-digit NDA, IBAN and French RIB keys."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from schwifty import IBAN
from stdnum import luhn

from cpf.core.text import fold

# Bank codes (code banque) of French banks, each with a BIC known to schwifty's registry.
BANK_CODES = (
    "30004",  # BNP Paribas
    "30003",  # Société Générale
    "30002",  # LCL
    "10278",  # Crédit Mutuel
    "20041",  # La Banque Postale
    "10107",  # BRED
    "30066",  # CIC
    "11315",  # Caisse d'Épargne
    "18206",  # Crédit Agricole
    "16606",  # Crédit Agricole
    "42559",  # Crédit Coopératif
    "30056",  # HSBC
)

# First two digits of a landline number by INSEE region code (overseas regions use their own).
PHONE_PREFIX_BY_REGION = {
    "11": "01",
    "24": "02",
    "28": "02",
    "52": "02",
    "53": "02",
    "27": "03",
    "32": "03",
    "44": "03",
    "84": "04",
    "93": "04",
    "94": "04",
    "75": "05",
    "76": "05",
    "01": "0590",
    "02": "0596",
    "03": "0594",
    "04": "0262",
    "06": "0269",
}

NAME_WORDS = (
    "Horizon",
    "Avenir",
    "Trajectoire",
    "Compétences",
    "Passerelle",
    "Tremplin",
    "Boussole",
    "Envol",
    "Sillage",
    "Synergie",
    "Déclic",
    "Cap Métiers",
    "Perspectives",
    "Parcours",
    "Itinéraire",
    "Escale",
    "Relais",
    "Archipel",
    "Aptitudes",
    "Savoir-Faire",
)
SURNAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
)
FIRST_NAMES = (
    "Camille",
    "Nathalie",
    "Isabelle",
    "Sophie",
    "Sandrine",
    "Céline",
    "Claire",
    "Julie",
    "Aurélie",
    "Émilie",
    "Philippe",
    "Laurent",
    "Stéphane",
    "Nicolas",
    "Olivier",
    "Christophe",
    "Thierry",
    "Julien",
    "Sébastien",
    "Karim",
    "Nadia",
    "Mehdi",
    "Yasmina",
    "Thomas",
)
STREETS = (
    "rue de la République",
    "avenue Jean Jaurès",
    "rue Victor Hugo",
    "boulevard Gambetta",
    "rue du Général de Gaulle",
    "place de la Mairie",
    "rue Pasteur",
    "avenue de la Gare",
    "rue des Écoles",
    "allée des Tilleuls",
    "rue Jules Ferry",
    "rue de l'Industrie",
    "rue Nationale",
    "avenue du Maréchal Foch",
    "rue Émile Zola",
    "rue de la Paix",
    "impasse des Artisans",
    "rue Saint-Jean",
    "chemin des Prés",
    "rue du Moulin",
    "avenue de l'Europe",
    "rue des Entrepreneurs",
    "parc d'activités du Levant",
    "rue Voltaire",
)
LEGAL_FORMS = ("", "", " SAS", " SARL", " SASU")
# Prefixes of certificate numbers, one per style of certifying body.
CERTIFIER_PREFIXES = ("AFAQ", "BV", "SGS", "ICPF", "CERTIF", "QN")


@dataclass(frozen=True)
class Place:
    """What a provider's identity needs to know of its commune."""

    name: str
    department_code: str
    department_name: str
    region_code: str
    region_name: str


def siret(rng: random.Random) -> str:
    """A SIRET whose SIREN (first 9 digits) and whole 14 digits pass the Luhn check."""
    siren = f"{rng.randrange(10_000_000, 100_000_000):08d}"
    siren += luhn.calc_check_digit(siren)
    nic = f"{rng.randrange(1, 10_000):04d}"
    return siren + nic + luhn.calc_check_digit(siren + nic)


def nda(rng: random.Random, place: Place) -> str:
    """Activity declaration number as the prefectures issue it: region (2 digits), department
    (2), serial (5), department again (2)."""
    department = _two_digit_department(place.department_code)
    region = place.region_code.zfill(2)[-2:]
    return f"{region}{department}{rng.randrange(0, 100_000):05d}{department}"


def _two_digit_department(code: str) -> str:
    if code in {"2A", "2B"}:
        return "20"
    return code[:2]


def iban_and_bic(rng: random.Random) -> tuple[str, str]:
    """A French IBAN (RIB key and IBAN check digits computed) at a real bank, and its BIC."""
    bank = rng.choice(BANK_CODES)
    branch = f"{rng.randrange(0, 100_000):05d}"
    account = f"{rng.randrange(0, 10**11):011d}"
    iban = IBAN.generate("FR", bank_code=bank + branch, account_code=account)
    bic = iban.bic
    return iban.compact, str(bic) if bic else ""


def qualiopi(rng: random.Random, today: date, *, expired: bool = False) -> tuple[str, date, date]:
    """A Qualiopi certificate number and its validity: three years from the audit."""
    if expired:
        valid_from = today - timedelta(days=rng.randrange(3 * 365 + 10, 4 * 365))
    else:
        valid_from = today - timedelta(days=rng.randrange(10, 3 * 365 - 30))
    valid_until = valid_from + timedelta(days=3 * 365 - 1)
    year = valid_from.year
    style = rng.randrange(4)
    if style == 0:
        number = f"FR{rng.randrange(10_000, 100_000)}-{rng.randrange(1, 4)}"
    elif style == 1:
        number = f"{rng.randrange(1000, 10_000)}-QUA-{year}"
    elif style == 2:
        number = f"QUALIOPI-{year}-{rng.randrange(1, 100_000):05d}"
    else:
        number = f"{rng.choice(CERTIFIER_PREFIXES)}-Q{year % 100:02d}-{rng.randrange(100_000, 1_000_000)}"
    return number, valid_from, valid_until


def of(name: str) -> str:
    """French "de" before a place name: ``de Lyon``, ``d'Amiens``, ``du Mans``, ``des Andelys``."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    if fold(name[:1]) in {"a", "e", "i", "o", "u", "y", "h"}:
        return "d'" + name
    return "de " + name


def provider_name(rng: random.Random, place: Place) -> str:
    """A sober, plausible French name for a training organisation; companies sometimes show
    their legal form, associations and public bodies do not."""
    style = rng.randrange(10)
    word = rng.choice(NAME_WORDS)
    company = False
    if style == 0:
        name = f"Institut de formation {of(place.name)}"
    elif style == 1:
        name, company = f"{word} Formation", True
    elif style == 2:
        name = f"Centre de formation professionnelle – {place.department_name}"
    elif style == 3:
        name, company = f"{rng.choice(SURNAMES)} Conseil et Formation", True
    elif style == 4:
        name = f"Association régionale pour la formation des adultes – {place.region_name}"
    elif style == 5:
        name = f"École des métiers {of(place.name)}"
    elif style == 6:
        name, company = f"{word} {place.department_name} Formation", True
    elif style == 7:
        name, company = f"Centre {word}", True
    elif style == 8:
        name = f"Groupement formation continue – {place.department_name}"
    else:
        name, company = f"Cabinet {rng.choice(SURNAMES)} & {rng.choice(SURNAMES)}", True
    if company:
        name += rng.choice(LEGAL_FORMS)
    return name[:200]


def web_domain(name: str) -> str:
    """``Institut de formation de Lyon SAS`` → ``institut-formation-lyon.example``."""
    skipped = {"de", "des", "du", "d", "la", "le", "les", "l", "et", "sas", "sasu", "sarl"}
    words = [w for w in fold(name).split() if w not in skipped]
    return "-".join(words)[:50].strip("-") + ".example"


def street_address(rng: random.Random) -> str:
    return f"{rng.randrange(1, 160)} {rng.choice(STREETS)}"


def contact_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def phone(rng: random.Random, region_code: str) -> str:
    prefix = PHONE_PREFIX_BY_REGION.get(region_code, "09")
    digits = prefix + "".join(str(rng.randrange(10)) for _ in range(10 - len(prefix)))
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
