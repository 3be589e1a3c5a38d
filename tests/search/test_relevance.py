"""Relevance on the judged query set (tests/search/judged_queries.py), on a catalogue built from
the real RNCP → ROME links: for each query, trainings of certifications leading to its jobs,
titled as the certification is; near-misses that share its words but lead elsewhere (the launch
failures among them); and a background of unrelated trainings."""

from __future__ import annotations

import pytest

from cpf.catalogue.enums import Modality
from cpf.referentials.models import Certification, CertificationJob
from cpf.search.engine import SearchRequest, search
from tests.clock import TODAY
from tests.factories import ProviderFactory
from tests.search.fixtures import *  # noqa: F403
from tests.search.fixtures import offer
from tests.search.judged_queries import JUDGED_QUERIES, LAUNCH_FAILURES, precision_at_10

pytestmark = pytest.mark.django_db

CERTIFICATIONS_PER_JOB = 3
BACKGROUND = 80
PLACES = ("69383", "75108", "13201", "33063", "59350", "31555", "44109", "67482")
PRECISION_THRESHOLD = 0.9

# (title, a job of the certification it prepares for): they share words with a query but
# prepare for something else.
NEAR_MISSES = (
    ("Massage aux pierres chaudes et soins du corps", "D1208"),
    ("Anglais professionnel par téléphone", "K2111"),
    ("Espagnol des affaires par téléphone et visioconférence", "K2111"),
    ("Comptabilité des artisans boulangers", "M1203"),
    ("Vente en boulangerie-pâtisserie", "D1106"),
    ("Développement commercial à l'international", "D1407"),
    ("Pierre et patrimoine : guide-conférencier", "G1201"),
    ("Sécurité informatique des réseaux téléphoniques d'entreprise", "M1802"),
)


def certifications_of(job: str, count: int) -> list[Certification]:
    return list(
        Certification.objects.active()
        .filter(kind="RNCP", certificationjob__job_id=job)
        .order_by("code")
        .distinct()[:count]
    )


def build_catalogue() -> None:
    providers = [ProviderFactory() for _ in range(12)]
    created = 0

    def add(title: str, certification: Certification) -> None:
        nonlocal created
        offer(
            title=" ".join(title.split())[:300],
            certification=certification.code,
            provider=providers[created % len(providers)],
            insee=PLACES[created % len(PLACES)],
            modality=(Modality.IN_PERSON, Modality.MIXED, Modality.REMOTE)[created % 3],
            price_cents=100_000 + 25_000 * (created % 40),
        )
        created += 1

    jobs = sorted({job for query in JUDGED_QUERIES for job in query.jobs})
    for job in jobs:
        for certification in certifications_of(job, CERTIFICATIONS_PER_JOB):
            add(certification.title, certification)
    for title, job in NEAR_MISSES:
        add(title, certifications_of(job, 1)[0])
    background = Certification.objects.active().filter(kind="RNCP").order_by("code")
    step = background.count() // BACKGROUND
    for certification in background[::step][:BACKGROUND]:
        add(certification.title, certification)


def relevant_totals() -> dict[str, int]:
    """For each query, how many indexed offers lead to one of its jobs."""
    from cpf.catalogue.models import Action

    certifications = list(Action.objects.values_list("training__certification_id", flat=True))
    links: dict[str, set[str]] = {}
    for code, job in CertificationJob.objects.filter(certification__in=set(certifications)).values_list(
        "certification_id", "job_id"
    ):
        links.setdefault(code, set()).add(job)
    return {
        query.text: sum(1 for code in certifications if links.get(code, set()) & set(query.jobs))
        for query in JUDGED_QUERIES
    }


def test_precision_of_the_first_ten_results_on_the_judged_queries(search_index):
    build_catalogue()
    search_index()
    totals = relevant_totals()

    scores, failing, lines = {}, [], []
    for query in JUDGED_QUERIES:
        response = search(SearchRequest(q=query.text, page_size=10), today=TODAY)
        score = precision_at_10((r.job_codes for r in response.results), query.jobs, totals[query.text])
        scores[query.text] = score
        lines.append(f"{score:5.2f}  {query.text:40} {[j.code for j in response.jobs]}")
        if score < 1:
            failing.append(query.text)
    mean = sum(scores.values()) / len(scores)
    print("\nprecision@10 per judged query:\n" + "\n".join(lines))
    print(f"mean precision@10 over {len(scores)} queries: {mean:.3f}; below 1: {failing}")

    assert len(JUDGED_QUERIES) >= 40
    assert mean >= PRECISION_THRESHOLD, failing
    for query, intruder in LAUNCH_FAILURES.items():
        titles = [r.title.lower() for r in search(SearchRequest(q=query, page_size=10), today=TODAY).results]
        assert titles and not [title for title in titles if intruder in title], query
