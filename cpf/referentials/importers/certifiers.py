"""Who certifies each certification: the 2026 France Compétences export when it names someone,
the 2021 RNCP export otherwise. Both the RNCP import and the 2026 import write these same
values, so that re-importing either leaves the rows unchanged."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from cpf.core.text import undouble_apostrophes

from .base import Progress, clean, read_csv

CERTIFIERS_2021 = "rncp/rncp_certificateurs_2021.csv.gz"
CERTIFIERS_2026 = "france_competences_2026/export_fiches_CSV_Certificateurs_2026_02_01.csv.gz"


def _text(value: str) -> str:
    """Whitespace (the TAB the 2026 export puts before every SIRET, inside the quotes) collapsed;
    apostrophes undoubled."""
    return clean(undouble_apostrophes(value))


def certifiers_2021(data_dir: Path, progress: Progress | None = None) -> dict[str, list[str]]:
    """Each code's certifiers in the source's order, without blanks or repeats."""
    certifiers: defaultdict[str, list[str]] = defaultdict(list)
    for r in read_csv(data_dir / CERTIFIERS_2021, delimiter=";", progress=progress):
        name = _text(r["Certificateur"])
        if name and name not in certifiers[r["CodeRNCP"]]:
            certifiers[r["CodeRNCP"]].append(name)
    return dict(certifiers)


def certifiers_2026(data_dir: Path, progress: Progress | None = None) -> dict[str, list[tuple[str, str]]]:
    """Each code's (SIRET, name) pairs in the source's order, one per name."""
    certifiers: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in read_csv(data_dir / CERTIFIERS_2026, delimiter=";", progress=progress):
        siret, name = _text(r["Siret_Certificateur"]), _text(r["Nom_Certificateur"])
        if name and all(known != name for _, known in certifiers[r["Numero_Fiche"]]):
            certifiers[r["Numero_Fiche"]].append((siret, name))
    return dict(certifiers)


def certifiers(data_dir: Path, progress: Progress | None = None) -> dict[str, tuple[list[str], list[str]]]:
    """code → (names, SIRETs): the 2026 ones when the 2026 export names any, else the 2021
    names (without SIRET, the 2021 file has none)."""
    result: dict[str, tuple[list[str], list[str]]] = {
        code: (names, []) for code, names in certifiers_2021(data_dir, progress).items()
    }
    for code, pairs in certifiers_2026(data_dir, progress).items():
        result[code] = ([name for _, name in pairs], [siret for siret, _ in pairs])
    return result
