"""The light French analysis shared by the index and the search box."""

from __future__ import annotations

import pytest

from cpf.search.text import analyze, fold, query_words, stem, surface_forms


@pytest.mark.parametrize(
    ("forms", "common"),
    [
        (["boulanger", "boulangers", "Boulangère", "boulangere", "BOULANGÈRES"], "boulanger"),
        (["développeur", "développeurs", "développeuse", "developpeuse"], "developpeur"),
        (["tailleur", "tailleuse", "tailleurs"], "tailleur"),
        (["comptabilité", "comptabilitée", "comptabilites"], "comptabilit"),
        (["électricien", "électricienne", "electriciennes"], "electricien"),
        (["infirmier", "infirmière", "infirmiers"], "infirmier"),
        (["conducteur", "conductrice"], "conducteur"),
        (["réseau", "réseaux"], "reseau"),
        (["aide-soignant", "aide-soignante"], "soignant"),
        (["chef", "cheffe"], "chef"),
    ],
)
def test_plural_feminine_case_and_accents_share_one_stem(forms, common):
    assert {analyze(form)[-1] for form in forms} == {common}


@pytest.mark.parametrize(
    ("one", "other"),
    [("téléphonie", "téléphone"), ("boulangerie", "boulanger"), ("développement", "développeur")],
)
def test_different_words_of_a_trade_stay_apart(one, other):
    # the launch failure: "téléphonie" must not match language courses "par téléphone"
    assert stem(fold(one)) != stem(fold(other))


def test_stopwords_and_written_feminine_endings_are_dropped():
    assert analyze("Technicien(ne) d'installation de centrales téléphoniques") == [
        "technicien",
        "installation",
        "central",
        "telephoniqu",
    ]


def test_query_words_drop_generic_words_and_repeats():
    assert query_words("Formation de boulanger, boulanger à Lyon") == ["boulanger", "lyon"]


def test_surface_forms_cover_plural_and_feminine_for_free_text():
    assert {"boulanger", "boulangers", "boulangere", "boulangeres"} <= set(surface_forms("boulangere"))
    assert "telephone" not in surface_forms("telephonie")


def test_fold_removes_accents_ligatures_and_case():
    assert fold("Œuvre ÉLÉGANTE") == "oeuvre elegante"
