"""France Compétences' export of 2026-02-01 ("export fiches CSV"): every RNCP and RS code with
its certifiers, NSF specialties, Formacode topics, ROME jobs and successor.

The export's "Standard" file (titles, status, dates) is not part of the set we hold, so:

- a code the 2021 RNCP export describes keeps that title and level;
- a code of the Mon Compte Formation catalogue sample (2024) takes the title it shows there;
- a code it does not describe takes the title and level of its nearest predecessor that has
  one (a successor keeps its predecessor's title until better data says otherwise);
- otherwise its title is built from what the export holds: its code, its Formacode topics (or,
  without any, its NSF specialties) and its certifiers, never an invented name;
- ``title_source`` and ``title_inherited_from`` say which, and the certification page says it.

Whether a code is current is approximated as of the export's date (docs/adr/0016): replaced
when the export gives it a successor, ended when the 2021 export already had it inactive and
nothing replaced it, current otherwise.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from pathlib import Path

from cpf.core.text import undouble_apostrophes
from cpf.referentials import successions
from cpf.referentials.models import (
    Certification,
    CertificationKind,
    CertificationSuccession,
    FormacodeTopic,
    Job,
    RegistryStatus,
    TitleSource,
)

from . import rncp
from .base import DatasetResult, Progress, Table, clean, load, read_csv, update
from .certifiers import CERTIFIERS_2026, certifiers_2026

EXPORT_DATE = datetime.date(2026, 2, 1)
FOLDER = "france_competences_2026"
CERTIFIERS = CERTIFIERS_2026
NSF = f"{FOLDER}/export_fiches_CSV_Nsf_2026_02_01.csv.gz"
FORMACODE = f"{FOLDER}/export_fiches_CSV_Formacode_2026_02_01.csv.gz"
ROME = f"{FOLDER}/export_fiches_CSV_Rome_2026_02_01.csv.gz"
SUCCESSIONS = f"{FOLDER}/export_fiches_CSV_Ancienne_Nouvelle_Certification_2026_02_01.csv.gz"
CATALOGUE_SAMPLE = "mcf_catalogue/mcf_catalogue_sample_informatique_2024.csv"
CODE_FILES = (CERTIFIERS, NSF, FORMACODE, ROME, SUCCESSIONS, CATALOGUE_SAMPLE)

# Codes the 2021 export describes: only what the 2026 export knows better is written.
DESCRIBED_TABLE = Table(
    Certification,
    ("code", "title_source", "registry_status", "status_as_of"),
    key=("code",),
)
# Codes only the 2026 export names: the whole row.
NAMED_TABLE = Table(
    Certification,
    (
        "code",
        "kind",
        "title",
        "level",
        "title_source",
        "title_inherited_from",
        "certifiers",
        "certifier_sirets",
        "registry_status",
        "status_as_of",
        "type_code",
        "type_label",
        "is_active",
        "registration_kind",
        "previous_code",
        "next_code",
    ),
    key=("code",),
)
# What the 2026 export does not say of a code only it names (type, 2021 status and record links).
UNSAID = ("", "", False, "", "", "")
SUCCESSION_TABLE = Table(
    CertificationSuccession,
    ("predecessor_id", "successor_id"),
    key=("predecessor_id", "successor_id"),
    delete_stale=True,
)
FORMACODE_TABLE = Table(FormacodeTopic, ("code", "label"), key=("code",))
CERTIFICATION_FORMACODE_TABLE = Table(
    Certification.formacode_topics.through,
    ("certification_id", "formacodetopic_id"),
    key=("certification_id", "formacodetopic_id"),
    delete_stale=True,
)

SHOWN_CERTIFIERS = 2
SOURCE_2026 = "export_2026"


def text(value: str) -> str:
    """Whitespace collapsed; apostrophes undoubled (the ROME file writes ``d''air``)."""
    return clean(undouble_apostrophes(value))


def kind_of(code: str) -> str | None:
    if code.startswith("RNCP") and code[4:].isdigit():
        return CertificationKind.RNCP.value
    if code.startswith("RS") and code[2:].isdigit():
        return CertificationKind.RS.value
    return None


def nsf_label(code: str, label: str) -> str:
    """``"314t : Etablissement des documents…"`` → ``"Etablissement des documents…"`` (the 2021
    file gives the label alone)."""
    return text(label).removeprefix(f"{code} :").strip()


def build_title(code: str, topics: list[str], specialties: list[str], certifiers: list[str]) -> str:
    """``Certification RS5678 — Anglais (certificateur : ETS GLOBAL)``: the code, then what the
    export says it is about (Formacode topics, else NSF specialties), then who certifies it."""
    title = f"Certification {code}"
    about = topics or specialties
    if about:
        title += " — " + ", ".join(about)
    if certifiers:
        names = ", ".join(certifiers[:SHOWN_CERTIFIERS])
        if len(certifiers) > SHOWN_CERTIFIERS:
            names += f" et {len(certifiers) - SHOWN_CERTIFIERS} autre(s)"
        word = "certificateur" if len(certifiers) == 1 else "certificateurs"
        title += f" ({word} : {names})"
    return title


def catalogue_titles(data_dir: Path) -> dict[str, str]:
    """code → title as the Mon Compte Formation catalogue sample (2024, 84 codes of IT
    certifications) writes it: the certification's own title, better than a predecessor's."""
    titles: dict[str, str] = {}
    for r in read_csv(data_dir / CATALOGUE_SAMPLE, delimiter=";"):
        kind = r["type_referentiel"].strip()
        number = (r["code_rncp"] if kind == CertificationKind.RNCP else r["code_inventaire"]).strip()
        title = clean(r["intitule_certification"])
        if kind in CertificationKind.values and number and title:
            titles.setdefault(f"{kind}{number}", title)
    return titles


def succession_pairs(data_dir: Path, progress: Progress | None = None) -> list[tuple[str, str]]:
    """(old, new) pairs: a row says its fiche's successor (``Nouvelle_Certification``) or its
    predecessor (``Ancienne_Certification``); both directions are kept (they agree but for 5
    pairs given from one side only)."""
    pairs = []
    for r in read_csv(data_dir / SUCCESSIONS, delimiter=";", progress=progress):
        fiche, old, new = (
            r["Numero_Fiche"].strip(),
            text(r["Ancienne_Certification"]),
            text(r["Nouvelle_Certification"]),
        )
        if new:
            pairs.append((fiche, new))
        if old:
            pairs.append((old, fiche))
    return pairs


def import_certifications(data_dir: Path, progress: Progress) -> DatasetResult:
    """Every code the export names (as a fiche, a predecessor or a successor), the successions
    between them, and what the export says of each."""
    certifiers = certifiers_2026(data_dir, progress)
    topics: defaultdict[str, list[str]] = defaultdict(list)
    for r in read_csv(data_dir / FORMACODE, delimiter=";", progress=progress):
        label = text(r["Formacode_Libelle"])
        if label and label not in topics[r["Numero_Fiche"]]:
            topics[r["Numero_Fiche"]].append(label)
    specialties: defaultdict[str, list[str]] = defaultdict(list)
    for r in read_csv(data_dir / NSF, delimiter=";", progress=progress):
        label = nsf_label(r["Nsf_Code"].strip(), r["Nsf_Intitule"])
        if label and label not in specialties[r["Numero_Fiche"]]:
            specialties[r["Numero_Fiche"]].append(label)
    pairs = succession_pairs(data_dir, progress)
    successors, predecessors = successions.graph(pairs)

    named = {r["Numero_Fiche"].strip() for r in read_csv(data_dir / ROME, delimiter=";")}
    named |= set(certifiers) | set(topics) | set(specialties)
    named |= {code for pair in pairs for code in pair}
    unknown_codes = sorted(code for code in named if kind_of(code) is None)
    named -= set(unknown_codes)

    described = {
        r["CodeRNCP"]: (
            text(r["intituleDiplome"]),
            rncp.level(r["NiveauEurope"]),
            r["ActiveInactive"] == "ACTIVE",
        )
        for r in read_csv(data_dir / rncp.INFO, delimiter=";")
    }
    sample_titles = catalogue_titles(data_dir)
    titled = {code: (title, level) for code, (title, level, _) in described.items()}

    def status(code: str) -> str:
        if successors.get(code):
            return RegistryStatus.REPLACED.value
        if code in described and not described[code][2]:
            return RegistryStatus.ENDED.value
        return RegistryStatus.CURRENT.value

    described_rows = []
    named_rows = []
    sources: defaultdict[str, int] = defaultdict(int)
    for code in sorted(named, key=successions.code_order):
        names = [name for _, name in certifiers.get(code, [])]
        sirets = [siret for siret, _ in certifiers.get(code, [])]
        if code in described:
            # Certifiers: written by the RNCP import (cpf.referentials.importers.certifiers).
            described_rows.append((code, TitleSource.RNCP_2021.value, status(code), EXPORT_DATE))
            sources[TitleSource.RNCP_2021.value] += 1
            continue
        inherited_from = successions.nearest_with(code, predecessors, titled)
        if code in sample_titles:
            # Its own title, as the catalogue showed it; the level is still the predecessor's.
            title, source = sample_titles[code], TitleSource.CATALOGUE_SAMPLE
            level = titled[inherited_from][1] if inherited_from else None
            inherited_from = None
        elif inherited_from is not None:
            (title, level), source = titled[inherited_from], TitleSource.PREDECESSOR
        else:
            title = build_title(code, topics.get(code, []), specialties.get(code, []), names)
            level, source = None, TitleSource.BUILT_FROM_2026_DATA
        sources[source.value] += 1
        named_rows.append(
            (
                code,
                kind_of(code),
                title,
                level,
                source.value,
                inherited_from or "",
                names,
                sirets,
                status(code),
                EXPORT_DATE,
                *UNSAID,
            )
        )
    # Codes of 2021 the 2026 export no longer names at all.
    unlisted = [
        (code, TitleSource.RNCP_2021.value, RegistryStatus.UNLISTED.value, EXPORT_DATE)
        for code in sorted(set(described) - named)
    ]
    described_rows += unlisted
    tables = [
        update(DESCRIBED_TABLE, described_rows),
        load(NAMED_TABLE, named_rows),
        load(
            SUCCESSION_TABLE,
            sorted(pair for pair in pairs if pair[0] in named and pair[1] in named and pair[0] != pair[1]),
        ),
    ]
    statuses: defaultdict[str, int] = defaultdict(int)
    for row in described_rows:
        statuses[row[2]] += 1
    for row in named_rows:
        statuses[row[8]] += 1
    details = {
        "codes": len(named),
        "rs_codes": sum(1 for code in named if code.startswith("RS")),
        "rs_codes_with_certifiers": sum(1 for code in certifiers if code.startswith("RS")),
        "title_sources": dict(sorted(sources.items())),
        "statuses": dict(sorted(statuses.items())),
        "unknown_codes": unknown_codes,
    }
    return DatasetResult(tables, details)


def import_formacode(data_dir: Path, progress: Progress) -> DatasetResult:
    """Formacode topics and the certifications they describe. 2,073 codes, one label each."""
    topics = []
    links = []
    for r in read_csv(data_dir / FORMACODE, delimiter=";", progress=progress):
        code = r["Formacode_Code"].strip()
        if not code or kind_of(r["Numero_Fiche"]) is None:
            continue
        topics.append((code, text(r["Formacode_Libelle"])))
        links.append((r["Numero_Fiche"], code))
    return DatasetResult([load(FORMACODE_TABLE, topics), load(CERTIFICATION_FORMACODE_TABLE, links)])


def _named_codes(data_dir: Path, path: str) -> set[str]:
    return {
        r["Numero_Fiche"].strip()
        for r in read_csv(data_dir / path, delimiter=";")
        if kind_of(r["Numero_Fiche"].strip()) is not None
    }


def nsf_codes(data_dir: Path) -> set[str]:
    """The certifications the 2026 NSF file speaks for: theirs are its links, not 2021's."""
    return _named_codes(data_dir, NSF)


def rome_codes(data_dir: Path) -> set[str]:
    """The certifications the 2026 ROME file speaks for: theirs are its links, not 2021's."""
    return _named_codes(data_dir, ROME)


def import_nsf(data_dir: Path, progress: Progress) -> DatasetResult:
    """NSF links of 2026. Specialties the 2021 file already names keep its label (the 2026 one
    only adds ``code :`` in front); the others are added."""
    known = {r["code"] for r in read_csv(data_dir / rncp.NSF, delimiter=";")}
    specialties = []
    links = []
    for r in read_csv(data_dir / NSF, delimiter=";", progress=progress):
        code, fiche = r["Nsf_Code"].strip(), r["Numero_Fiche"].strip()
        if not code or kind_of(fiche) is None:
            continue
        if code not in known:
            specialties.append((code, nsf_label(code, r["Nsf_Intitule"])))
        links.append((fiche, code))
    owned = {fiche for fiche, _ in links}
    return DatasetResult(
        [
            load(rncp.NSF_TABLE, specialties),
            load(rncp.CERTIFICATION_NSF_TABLE, links, owned=("certification_id", owned)),
        ]
    )


def import_jobs(data_dir: Path, progress: Progress) -> DatasetResult:
    """RNCP → ROME links of 2026 (RS fiches have none), onto the classic ROME codes as in 2021;
    the 77 links to nodes of the ROME tree (``C1300 Finance``) are left out and counted."""
    main_jobs = set(Job.objects.main().values_list("code", flat=True))
    links = []
    owned: set[str] = set()
    unresolved: dict[str, str] = {}
    unresolved_links = 0
    for r in read_csv(data_dir / ROME, delimiter=";", progress=progress):
        fiche, code = r["Numero_Fiche"].strip(), r["Codes_Rome_Code"].strip()
        if kind_of(fiche) is None:
            continue
        owned.add(fiche)
        if code in main_jobs:
            links.append((fiche, code, SOURCE_2026))
        else:
            unresolved_links += 1
            unresolved[code] = text(r["Codes_Rome_Libelle"])
    details = {
        "resolved_links": len(links),
        "resolved_codes": len({code for _, code, _ in links}),
        "unresolved_links": unresolved_links,
        "unresolved_codes": dict(sorted(unresolved.items())),
    }
    return DatasetResult(
        [load(rncp.CERTIFICATION_JOB_TABLE, links, owned=("certification_id", owned))], details
    )
