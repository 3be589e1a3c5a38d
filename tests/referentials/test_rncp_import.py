"""RNCP certifications, NSF specialties, certification → job links and skill blocks as
imported from data/rncp (France Compétences, early 2021)."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Count

from cpf.referentials.models import (
    Certification,
    CertificationJob,
    CertificationKind,
    NsfSpecialty,
    ReferentialImport,
    SkillBlock,
    TitleSource,
)

pytestmark = pytest.mark.django_db


def test_every_distinct_certification_is_imported_once():
    """17,470 rows in the source, 17,369 distinct codes (74 codes repeated); the 2026 export
    adds the codes it alone names (tests/referentials/test_france_competences_import.py)."""
    from_2021 = Certification.objects.filter(title_source=TitleSource.RNCP_2021)
    assert from_2021.count() == 17_369
    assert from_2021.filter(kind=CertificationKind.RNCP).count() == 17_369
    assert from_2021.active().count() == 4_481
    assert from_2021.filter(valid_until__isnull=True).count() == 6_119


def test_levels_come_from_the_european_level():
    from_2021 = Certification.objects.filter(title_source=TitleSource.RNCP_2021)
    assert dict(from_2021.values_list("level").annotate(n=Count("pk")).order_by()) == {
        3: 1_091,
        4: 1_620,
        5: 2_338,
        6: 5_831,
        7: 6_465,
        8: 24,
    }


def test_an_active_certification_is_imported_field_by_field():
    certification = Certification.objects.get(code="RNCP34001")

    assert (
        certification.kind,
        certification.title,
        certification.level,
        certification.is_active,
        certification.valid_until,
        certification.registration_kind,
        certification.certifiers,
    ) == (
        CertificationKind.RNCP,
        "Agent d'accueil des voyageurs",
        4,
        True,
        datetime.date(2024, 5, 24),
        "Enregistrement sur demande",
        ["INSTITUT AERO FORMATIONS"],  # given twice in the source
    )
    assert sorted(certification.nsf.values_list("code", flat=True)) == ["311", "334"]
    assert sorted(certification.jobs.values_list("code", flat=True)) == ["A1101", "G1101", "N2201"]


def test_a_title_spread_over_lines_is_joined_and_links_to_tree_nodes_are_left_out():
    """RNCP11336 links to M18 (a sub-domain of the ROME tree, not a job) and to 3 jobs."""
    certification = Certification.objects.get(code="RNCP11336")

    assert certification.title == (
        "Sciences technologie santé, mention informatique, spécialité Recherche en Informatique (MRI)"
    )
    assert (certification.level, certification.type_code, certification.type_label) == (7, "MASTER", "Master")
    assert (certification.is_active, certification.valid_until) == (False, datetime.date(2019, 10, 31))
    assert certification.certifiers == ["Université Rennes I"]
    assert sorted(certification.jobs.values_list("code", flat=True)) == ["K2108", "K2402", "M1805"]


def test_certifiers_keep_the_source_order_and_repeated_nsf_links_count_once():
    certification = Certification.objects.get(code="RNCP10000")

    assert certification.certifiers == [
        "Ministère chargé de l'enseignement supérieur",
        "Université Paul Valéry - Montpellier 3",
        "Université Sciences et techniques du Languedoc Montpellier II",
    ]
    assert list(certification.nsf.values_list("code", "label")) == [
        ("136", "Langues vivantes, civilisations étrangères et régionales")
    ]


def test_a_repeated_certification_keeps_its_first_row():
    """RNCP1027 is given twice, replaced by RNCP32360 in the first row and RNCP6989 in the second."""
    certification = Certification.objects.get(code="RNCP1027")

    assert (certification.previous_code, certification.next_code, certification.type_code) == (
        "",
        "RNCP32360",
        "BTS",
    )


def test_nsf_specialties_and_links_are_imported_without_repeats():
    """449 specialties in 2021, 22 more named by the 2026 export; links of the 2026 export for
    the certifications it speaks for, of 2021 for the 82 others."""
    assert NsfSpecialty.objects.count() == 471
    assert Certification.nsf.through.objects.count() == 45_095
    assert ReferentialImport.objects.get(dataset="rncp_nsf").rows == 449 + 82
    assert NsfSpecialty.objects.get(code="326").label == (
        "Informatique, traitement de l'information, réseaux de transmission"
    )


def test_only_links_to_the_532_classic_rome_codes_are_imported():
    """45,165 links in the source: 44,942 onto 521 classic codes, 223 onto 104 tree nodes. The
    2026 export's links replace them for the certifications it speaks for: 4 links of 2021
    remain, beside 64,993 of 2026."""
    assert CertificationJob.objects.count() == 64_997
    assert CertificationJob.objects.filter(source="rncp_2021").count() == 4
    assert CertificationJob.objects.values("job").distinct().count() == 528
    assert not CertificationJob.objects.filter(job__parent__isnull=False).exists()
    details = ReferentialImport.objects.get(dataset="rncp_jobs").details
    assert (
        details["resolved_links"],
        details["resolved_codes"],
        details["unresolved_links"],
        details["unresolved_codes"],
    ) == (44_942, 521, 223, 104)
    assert details["unresolved_code_list"][:6] == ["A12", "A13", "A14", "A15", "A1500", "B11"]


def test_skill_blocks_are_imported_once_per_code():
    """16,455 rows, one code (RNCP34305BC04) given twice with two titles: the first wins."""
    assert SkillBlock.objects.count() == 16_454
    assert list(SkillBlock.objects.filter(certification="RNCP34305").values_list("code", "title")) == [
        ("RNCP34305BC01", "Gestion d'un établissement dans un contexte socio-économique"),
        ("RNCP34305BC02", "Management de projet - Spécialité ESS"),
        ("RNCP34305BC04", "Gestion des ressources humaines- Spécialité ESS"),
    ]


def test_doubled_apostrophes_are_undoubled_in_certifiers_and_skill_blocks():
    assert not SkillBlock.objects.filter(title__contains="''").exists()
    certifiers = Certification.objects.values_list("certifiers", flat=True)
    assert not [name for names in certifiers for name in names if "''" in name]
    assert Certification.objects.filter(
        certifiers__contains=["Centre d'études Franco-américain de management (CEFAM association)"]
    ).exists()
