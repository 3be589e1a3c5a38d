"""The "métiers qui recrutent" figures: BMO 2024 recruitment projects and 2021 job offers,
nationally and around a commune."""

from __future__ import annotations

import pytest

from cpf.referentials.labour_market import (
    EmploymentArea,
    JobOffers,
    RecruitingJob,
    bmo_area_of,
    tension_area_of,
    top_job_offers,
    top_recruiting_jobs,
)
from cpf.referentials.models import Commune, CommuneKind

pytestmark = pytest.mark.django_db


def lyon_1er() -> Commune:
    return Commune.objects.get(insee_code="69381")


def test_the_national_top_ten_recruiting_jobs_of_bmo_2024():
    jobs = top_recruiting_jobs()

    assert jobs[0] == RecruitingJob("S2X61", "Serveurs de cafés restaurants", 121_955, 60)
    assert [job.fap_code for job in jobs] == [
        "S2X61",
        "S1X20",
        "A1X42",
        "A0X40",
        "T4X60",
        "T2A60",
        "S1X40",
        "V5X81",
        "R0X60",
        "V0X60",
    ]
    assert [job.projects for job in jobs] == sorted((job.projects for job in jobs), reverse=True)
    assert jobs[5] == RecruitingJob("T2A60", "Aides à domicile et auxiliaires de vie", 67_530, 84)


def test_the_recruiting_jobs_around_a_commune_are_those_of_its_bmo_area():
    commune = lyon_1er()

    jobs = top_recruiting_jobs(commune=commune, limit=3)

    assert bmo_area_of(commune) == EmploymentArea("8428", "LYON CENTRE")
    assert jobs == [
        RecruitingJob("S2X61", "Serveurs de cafés restaurants", 1_160, 56),
        RecruitingJob("S1X20", "Aides de cuisine et employés polyvalents de la restauration", 1_050, 53),
        RecruitingJob("L2X61", "Agents administratifs", 1_040, 31),
    ]


def test_the_national_top_ten_jobs_by_job_offers_with_their_tension():
    jobs = top_job_offers()

    assert jobs[0] == JobOffers("M1203", "Comptable", 216_283, 4.6)
    assert [job.job_code for job in jobs] == [
        "M1203",
        "G1602",
        "N1103",
        "D1401",
        "K1302",
        "M1805",
        "N4101",
        "K1304",
        "K2204",
        "I1604",
    ]
    assert [job.job_offers for job in jobs] == sorted((job.job_offers for job in jobs), reverse=True)
    assert jobs[5] == JobOffers("M1805", "Développeur / Développeuse informatique", 168_345, 4.9)


def test_the_job_offers_around_an_arrondissement_are_those_of_its_city_area():
    """The 2019 area map knows Lyon as a whole (69123), not its arrondissements."""
    commune = lyon_1er()

    jobs = top_job_offers(commune=commune, limit=2)

    assert (commune.kind, commune.parent_insee_code) == (CommuneKind.ARRONDISSEMENT, "69123")
    assert tension_area_of(commune) == EmploymentArea("8428", "LYON CENTRE")
    assert jobs == [
        JobOffers("M1805", "Développeur / Développeuse informatique", 8_358, 5.0),
        JobOffers("M1203", "Comptable", 8_149, 5.0),
    ]


def test_a_commune_outside_the_2019_area_map_has_no_job_offers_figures():
    """Sannerville (Calvados, 14666) is in the 2024 commune file and the BMO 2024 map, not in
    the 2019 map of the tension figures."""
    commune = Commune.objects.get(insee_code="14666")

    assert tension_area_of(commune) is None
    assert top_job_offers(commune=commune) == []
    assert bmo_area_of(commune) == EmploymentArea("2817", "CAEN")
    assert top_recruiting_jobs(commune=commune, limit=1) == [
        RecruitingJob("T4X60", "Agents d'entretien de locaux", 1_089, 82)
    ]
