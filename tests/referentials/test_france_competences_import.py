"""The France Compétences export of 2026-02-01 (data/france_competences_2026): RS certifications,
certifiers, Formacode topics, successions, registry status, titles and their provenance, and
``Certification.objects.current``."""

from __future__ import annotations

import datetime

import pytest

from cpf.referentials import successions
from cpf.referentials.importers.france_competences import build_title
from cpf.referentials.models import (
    Certification,
    CertificationJob,
    CertificationKind,
    CertificationSuccession,
    FormacodeTopic,
    RegistryStatus,
    TitleSource,
)
from tests.clock import TODAY

pytestmark = pytest.mark.django_db

EXPORT_DAY = datetime.date(2026, 2, 1)


def test_rs_certifications_are_imported_with_their_certifiers():
    """data README: RS 5,042 certifier rows for 4,613 codes; 4,625 RS codes in all files."""
    rs = Certification.objects.filter(kind=CertificationKind.RS)
    assert rs.count() == 4_625
    assert rs.exclude(certifiers=[]).count() == 4_613
    # the registries' codes, and the 9 eligible actions outside them (cpf/referentials/eligible.py)
    assert Certification.objects.registries().count() == 29_389
    assert Certification.objects.eligible_actions().count() == 9
    assert CertificationSuccession.objects.count() == 10_313
    assert FormacodeTopic.objects.count() == 2_073
    assert Certification.formacode_topics.through.objects.count() == 32_506
    assert CertificationJob.objects.filter(source="export_2026").count() == 64_993


def test_the_tab_before_each_siret_is_stripped():
    sirets = [s for row in Certification.objects.values_list("certifier_sirets", flat=True) for s in row]
    assert sirets and all(len(siret) == 14 and siret.isdigit() for siret in sirets)


def test_doubled_apostrophes_of_the_rome_file_are_undoubled():
    from cpf.referentials.models import ReferentialImport

    labels = ReferentialImport.objects.get(dataset="rome_links_2026").details["unresolved_codes"]
    assert labels and not [label for label in labels.values() if "''" in label]
    assert not FormacodeTopic.objects.filter(label__contains="''").exists()


def test_an_rs_title_is_built_from_the_export_and_says_so():
    certification = Certification.objects.get(code="RS5871")
    assert (
        certification.title
        == "Certification RS5871 — Anglais (certificateur : CAMBRIDGE ASSESSMENT OVERSEAS LIMITED)"
    )
    assert certification.title_source == TitleSource.BUILT_FROM_2026_DATA
    assert list(certification.formacode_topics.values_list("label", flat=True)) == ["Anglais"]
    assert "Formacode" in certification.title_provenance
    assert build_title("RS1", [], ["Langues"], ["A", "B", "C"]) == (
        "Certification RS1 — Langues (certificateurs : A, B et 1 autre(s))"
    )


def test_a_successor_keeps_its_predecessors_title_and_level_and_says_so():
    """RNCP1029 → RNCP37561 (the 2026 export has no title)."""
    successor = Certification.objects.get(code="RNCP37561")
    predecessor = Certification.objects.get(code="RNCP1029")
    assert (successor.title, successor.level) == (predecessor.title, predecessor.level)
    assert (successor.title_source, successor.title_inherited_from) == (TitleSource.PREDECESSOR, "RNCP1029")
    assert "RNCP1029" in successor.title_provenance


def test_multi_step_chains_are_followed_to_their_end():
    pairs = CertificationSuccession.objects.values_list("predecessor_id", "successor_id")
    successors, predecessors = successions.graph(pairs)
    longest = max(successors, key=lambda code: len(successions.reachable(code, successors)))
    chain = successions.reachable(longest, successors)
    assert len(chain) >= 3
    ends = successions.latest(longest, successors)
    assert ends
    for end in ends:
        assert not Certification.objects.get(code=end).successors.exists()
        assert Certification.objects.get(code=end).registry_status != RegistryStatus.REPLACED
        assert longest in successions.reachable(end, predecessors)
    assert Certification.objects.get(code=longest).registry_status == RegistryStatus.REPLACED


def test_a_cycle_ends_the_walk():
    successors, predecessors = successions.graph([("A", "B"), ("B", "C"), ("C", "A"), ("C", "D"), ("X", "X")])
    assert successions.reachable("A", successors) == ["B", "C", "D"]
    assert successions.latest("A", successors) == ["D"]
    assert successions.latest("B", {"B": {"C"}, "C": {"B"}}) == []
    assert successions.nearest_with("D", predecessors, {"A": 1, "B": 1}) == "B"
    assert "X" not in successors


def test_current_at_a_date():
    """RNCP31114 (active in 2021) is replaced by RNCP37674 in the 2026 export."""
    replaced, successor = (
        Certification.objects.get(code="RNCP31114"),
        Certification.objects.get(code="RNCP37674"),
    )
    assert successor in successor.__class__.objects.filter(predecessors=replaced)
    after = [EXPORT_DAY, TODAY]
    for day in after:
        current = Certification.objects.current(day)
        assert not current.filter(code="RNCP31114").exists() and current.filter(code="RNCP37674").exists()
        assert (replaced.is_current(day), successor.is_current(day)) == (False, True)
    # Before the export, the 2021 registration dates speak.
    before = datetime.date(2021, 6, 1)
    assert Certification.objects.current(before).filter(code="RNCP31114").exists()
    assert not Certification.objects.current(before).filter(code="RNCP37674").exists()
    # Ended in 2021 without successor: never current again.
    ended = Certification.objects.filter(registry_status=RegistryStatus.ENDED).first()
    assert not ended.is_current(TODAY)
    counts = {
        kind: Certification.objects.current(TODAY).filter(kind=kind).count()
        for kind in CertificationKind.values
    }
    # the eligible actions outside the registries are always current (cpf/referentials/eligible.py)
    assert counts == {"RNCP": 6_547, "RS": 3_459, "PERMIS": 6, "BILAN": 1, "VAE": 1, "CREA": 1}


def test_a_certification_no_export_assessed_follows_its_registration_dates():
    made = Certification.objects.create(
        code="RS999999", kind=CertificationKind.RS, title="Excel", is_active=True, valid_until=TODAY
    )
    assert Certification.objects.current(TODAY).filter(pk=made.pk).exists()
    assert not Certification.objects.current(TODAY + datetime.timedelta(days=1)).filter(pk=made.pk).exists()
