"""What a keyword means besides a job: kinds of action, languages, topics and software
(``cpf.search.themes``), read from the keyword, marked on the offers from their certification,
shown and changeable, and how they rank."""

from __future__ import annotations

import pytest

from cpf.referentials.models import Certification, CertificationJob, CertificationKind, SkillBlock
from cpf.search import themes
from cpf.search.engine import SearchRequest, request_problems, search
from cpf.search.text import query_words
from tests.clock import TODAY
from tests.search.fixtures import *  # noqa: F403
from tests.search.fixtures import offer


def codes(text: str) -> tuple[list[str], tuple[str, ...]]:
    reading = themes.read(query_words(text))
    return [theme.code for theme in reading.themes], reading.left_by(t.code for t in reading.themes)


@pytest.mark.parametrize(
    ("typed", "theme", "left"),
    [
        ("permis", "permis", ()),
        ("Permis B", "permis-b", ()),
        ("formation permis de conduire B", "permis-b", ()),
        ("passer le permis", "permis", ()),
        ("permis moto", "permis-moto", ()),
        ("permis A2", "permis-moto", ()),
        ("bilan", "bilan", ()),
        ("bilan de compétences", "bilan", ()),
        ("VAE", "vae", ()),
        ("validation des acquis de l'expérience", "vae", ()),
        ("créer mon entreprise", "creation-entreprise", ()),
        ("création d'entreprise", "creation-entreprise", ()),
        ("anglais", "anglais", ()),
        ("cours d'anglais", "anglais", ()),
        ("English", "anglais", ()),
        ("TOEIC", "toeic", ()),
        ("espagnol", "espagnol", ()),
        ("allemand", "allemand", ()),
        ("FLE", "fle", ()),
        ("excel", "excel", ()),
        ("SAP", "sap", ()),
        ("bureautique", "bureautique", ()),
        ("habilitation électrique", "habilitation-electrique", ()),
        ("sauveteur secouriste du travail", "sst", ()),
        ("CACES", "caces", ()),
        ("professeur d'anglais", "anglais", ()),
        ("formateur SST", "sst", ()),
        ("anglais débutant", "anglais", ("debutant",)),
        ("permis de construire", "permis", ("construire",)),
    ],
)
def test_a_keyword_names_kinds_languages_topics_and_software(typed, theme, left):
    assert codes(typed) == ([theme], left)


@pytest.mark.parametrize(
    "typed", ["cariste", "préparateur en pharmacie", "boulanger", "développeur web", "niveau"]
)
def test_a_trade_names_no_theme(typed):
    assert codes(typed) == ([], tuple(query_words(typed)))


def test_two_themes_in_one_keyword():
    assert codes("apprendre l'anglais et l'espagnol") == (["anglais", "espagnol"], ())


def test_the_themes_of_a_certification_come_from_the_registries_never_from_teaching():
    assert themes.themes_of(title="Permis de conduire de catégorie B") == ["permis", "permis-b"]
    assert themes.themes_of(title="Instruction des permis de construire") == []
    assert themes.themes_of(
        title="RS5550 — Anglais", topics=["Anglais"], certifiers=["EDUCATIONAL TESTING SERVICE GLOBAL B V"]
    ) == ["anglais", "langues", "toeic"]
    assert themes.themes_of(title="RS7256", topics=["Bureautique", "Logiciel Excel"]) == [
        "bureautique",
        "excel",
    ]
    assert themes.themes_of(title="RS5054", topics=["Chariot automoteur"]) == ["caces"]
    assert themes.themes_of(title="Professeur d'anglais") == ["enseigner:anglais", "enseigner:langues"]
    assert themes.themes_of(title="Anglais appliqué", job_codes=["K2111"]) == [
        "enseigner:anglais",
        "enseigner:langues",
    ]
    assert themes.themes_of(title="Formateur bureautique", topics=["Bureautique"]) == [
        "enseigner:bureautique"
    ]
    # Training trainers, from the Formacode topics alone (RS5885, RS6723, RS6547 of the registry).
    sst_trainer = ["Formation formateur sécurité", "Sauvetage secourisme travail", "Risque professionnel"]
    assert themes.themes_of(title="RS5885", topics=sst_trainer) == ["enseigner:secourisme", "enseigner:sst"]
    electrical_trainer = ["Conception action formation", "Formation formateur", "Sécurité électrique"]
    assert themes.themes_of(title="RS6723", topics=electrical_trainer) == [
        "enseigner:habilitation-electrique"
    ]
    english_teacher = ["Didactique langue", "Anglais", "Formation enseignant", "Méthode pédagogique"]
    assert themes.themes_of(title="RS6547", topics=english_teacher) == [
        "enseigner:anglais",
        "enseigner:langues",
    ]
    # The certifier's name a built title ends with is not the certification's teaching.
    cles = "Certification RS6586 — Anglais (certificateur : MINISTERE DE L'ENSEIGNEMENT SUPERIEUR)"
    assert themes.themes_of(title=cles, topics=["Anglais"]) == ["anglais", "langues"]


def test_a_professional_title_covering_a_topic_among_others_does_not_take_the_topic():
    # RNCP35532 (2026 topics): an installer's title with electrical clearance among its topics
    installer = themes.themes_of(
        code="RNCP35532",
        kind="RNCP",
        title="Installateur en équipements électriques (BTM)",
        topics=["Montage câblage électrique", "Habilitation électrique"],
    )
    clearance = themes.themes_of(
        code="RS1780",
        kind="RS",
        title="Certification RS1780 — Sécurité électrique (certificateur : SECURITE VOIX DONNEES IMAGES)",
        topics=["Sécurité électrique"],
    )
    security_agent = themes.themes_of(
        code="RNCP36517",
        kind="RNCP",
        title="Agent de sécurité en sûreté",
        topics=["Sécurité défense", "Surveillance protection gardiennage", "Sauvetage secourisme travail"],
    )
    first_aid = themes.themes_of(
        code="RS5719",
        kind="RS",
        title="Sauveteur secouriste du travail",
        topics=["Sauvetage secourisme travail"],
    )

    assert "habilitation-electrique" not in installer
    assert "habilitation-electrique" in clearance
    assert "sst" not in security_agent
    assert "sst" in first_aid


def test_a_keyword_asking_for_teachers_finds_the_taught_themes_only():
    for typed, expected in (
        ("professeur d'anglais", ("enseigner:anglais",)),
        ("formateur sauveteur secouriste du travail", ("enseigner:sst",)),
        ("enseigner l'anglais", ("enseigner:anglais",)),
        ("anglais", ("anglais",)),
        ("sauveteur secouriste du travail", ("sst",)),
    ):
        reading = themes.read(query_words(typed))
        assert reading.index_codes(t.code for t in reading.themes) == expected, typed
    # Without a theme, "formateur" is a job title, left to the jobs and words.
    assert themes.read(query_words("formateur")).left_by([]) == ("formateur",)
    assert themes.themes_of(title="Bilan de compétences") == ["bilan"]
    assert themes.themes_of(title="Bilan carbone") == []


@pytest.mark.django_db
def test_the_eligible_actions_outside_the_registries_have_their_themes():
    expected = {
        "PERMIS-B": ["permis", "permis-b"],
        "PERMIS-A2": ["permis", "permis-moto"],
        "PERMIS-A": ["permis", "permis-moto"],
        "PERMIS-C": ["permis", "permis-poids-lourd"],
        "PERMIS-CE": ["permis", "permis-poids-lourd"],
        "PERMIS-D": ["permis", "permis-poids-lourd"],
        "BILAN": ["bilan"],
        "VAE": ["vae"],
        "CREA": ["creation-entreprise"],
    }
    found = {
        row.code: themes.themes_of(code=row.code, kind=row.kind, title=row.title)
        for row in Certification.objects.eligible_actions()
    }
    assert found == expected


def test_every_theme_can_be_typed_and_its_parents_exist():
    for theme in themes.THEMES:
        assert theme.parent is None or theme.parent in themes.BY_CODE
        assert [t.code for t in themes.read(query_words(theme.typed[0])).themes] == [theme.code], theme.code


# ---------------------------------------------------------------------------------------------
# In the search


def certification(code: str, title: str, *, kind=CertificationKind.RS, jobs=(), certifiers=(), blocks=()):
    made = Certification.objects.create(
        code=code, kind=kind, title=title, is_active=True, certifiers=list(certifiers)
    )
    for job in jobs:
        CertificationJob.objects.create(certification=made, job_id=job)
    for number, block in enumerate(blocks, start=1):
        SkillBlock.objects.create(code=f"{code}BC{number:02d}", certification=made, title=block)
    return made.code


def catalogue():
    """Offers whose words mislead: the launch failures of the kinds and languages."""
    english = certification(
        "RS95550",
        "Test of English for International Communication",
        certifiers=["EDUCATIONAL TESTING SERVICE GLOBAL B V"],
    )
    teacher = certification("RNCP99001", "Professeur d'anglais", kind=CertificationKind.RNCP, jobs=["K2107"])
    trainer = certification(
        "RNCP99002",
        "Formateur responsable de projet de formation en anglais",
        kind=CertificationKind.RNCP,
        jobs=["K2111"],
    )
    licence_b = certification("RS99101", "Permis de conduire de catégorie B")
    moto = certification("RS99102", "Permis de conduire moto A2")
    building = certification(
        "RNCP99003", "Instructeur des permis de construire", kind=CertificationKind.RNCP, jobs=["K1802"]
    )
    review = certification("RS99201", "Bilan de compétences")
    finance = certification(
        "RNCP99004",
        "Responsable financier",
        kind=CertificationKind.RNCP,
        jobs=["M1201"],
        blocks=["Établir le bilan et évaluer les compétences financières de l'équipe"],
    )
    caces = certification("RS99301", "CACES R489 — chariots de manutention automoteurs")
    offer(title="Préparation au TOEIC Listening and Reading", certification=english)
    offer(title="Anglais professionnel — niveau B2", certification=english, provider_name="Lingua Sud")
    offer(title="Devenir professeur d'anglais", certification=teacher)
    offer(title="Formateur d'anglais pour adultes", certification=trainer)
    offer(title="Permis B — conduite accompagnée", certification=licence_b)
    offer(title="Permis B accéléré en 3 semaines", certification=licence_b)
    offer(title="Permis moto A2", certification=moto)
    offer(title="Le permis de construire : instruction et contentieux", certification=building)
    offer(title="Bilan de compétences en 24 heures", certification=review)
    offer(title="Responsable financier — bilan et compétences", certification=finance)
    offer(title="CACES R489 catégories 1A, 3 et 5", certification=caces)


def run(**kwargs):
    return search(SearchRequest(**{"page_size": 20, **kwargs}), today=TODAY)


def titles(**kwargs) -> list[str]:
    return [result.title for result in run(**kwargs).results]


@pytest.mark.django_db
def test_english_courses_come_first_for_anglais_and_the_teacher_only_when_asked(search_index):
    catalogue()
    search_index()
    response = run(q="anglais")
    assert [t.label for t in response.themes] == ["Anglais — certifications de langue"]
    assert response.jobs == []  # "anglais" is half of "Professeur d'anglais": not that job
    found = [r.title for r in response.results]
    assert set(found[:2]) == {
        "Préparation au TOEIC Listening and Reading",
        "Anglais professionnel — niveau B2",
    }
    assert set([r.title for r in run(q="english").results][:2]) == set(found[:2])
    asked = run(q="professeur d'anglais")
    assert [job.code for job in asked.jobs] == ["K2107"]
    assert asked.results[0].title == "Devenir professeur d'anglais"
    assert set(titles(q="TOEIC")[:2]) == set(found[:2])


@pytest.mark.django_db
def test_permis_finds_driving_licences_before_building_permits(search_index):
    catalogue()
    search_index()
    found = titles(q="permis")
    assert set(found[:3]) == {
        "Permis B — conduite accompagnée",
        "Permis B accéléré en 3 semaines",
        "Permis moto A2",
    }
    assert set(titles(q="permis B")[:2]) == {
        "Permis B — conduite accompagnée",
        "Permis B accéléré en 3 semaines",
    }
    assert "Permis moto A2" not in titles(q="permis B")
    assert titles(q="permis moto")[0] == "Permis moto A2"
    assert titles(q="permis de construire")[0] == "Le permis de construire : instruction et contentieux"


@pytest.mark.django_db
def test_skills_review_and_caces_are_not_mistaken(search_index):
    catalogue()
    search_index()
    assert titles(q="bilan de compétences")[0] == "Bilan de compétences en 24 heures"
    assert titles(q="bilan")[0] == "Bilan de compétences en 24 heures"
    assert titles(q="CACES") == ["CACES R489 catégories 1A, 3 et 5"]
    assert run(q="CACES").corrections == []


@pytest.mark.django_db
def test_the_person_changes_what_was_understood(search_index):
    catalogue()
    search_index()
    # No theme: the words alone, as before (the teacher's title holds "anglais").
    plain = run(q="anglais", themes=())
    assert plain.themes == [] and not plain.themes_automatic
    assert "Devenir professeur d'anglais" in [r.title for r in plain.results]
    # Another theme than the keyword's: its offers holding the keyword's words.
    assert titles(q="accéléré", themes=("permis-b",)) == ["Permis B accéléré en 3 semaines"]
    # A theme without keyword: all its offers.
    assert set(titles(themes=("permis",))) == {
        "Permis B — conduite accompagnée",
        "Permis B accéléré en 3 semaines",
        "Permis moto A2",
    }
    chosen = run(q="", themes=("bilan",))
    assert [t.code for t in chosen.themes] == ["bilan"] and chosen.total == 1


@pytest.mark.django_db
def test_the_counts_find_what_the_ranked_search_finds(search_index):
    catalogue()
    search_index()
    for keyword in ("anglais", "permis", "permis b", "bilan", "professeur d'anglais", "permis de construire"):
        response = run(q=keyword, page_size=50)
        assert response.total == len(response.results) > 0, keyword


@pytest.mark.django_db
def test_an_unknown_theme_is_refused():
    assert request_problems(SearchRequest(q="x", themes=("permis", "licorne"))) == [
        ("theme", "Thème inconnu : licorne.")
    ]
