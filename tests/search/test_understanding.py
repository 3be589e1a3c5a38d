"""Keyword → jobs over the real ROME job titles, certification codes and one-typo correction."""

from __future__ import annotations

import pytest

from cpf.search.text import query_words, stem
from cpf.search.understanding import SpellChecker, _within_one_edit, certification_code, job_matcher

pytestmark = pytest.mark.django_db


def jobs_for(text: str) -> list[str]:
    stems = [(stem(word),) for word in query_words(text)]
    return [match.code for match in job_matcher.get().match(stems)]


@pytest.mark.parametrize(
    ("keyword", "codes"),
    [
        ("développeur web", ["M1805"]),
        ("Développeuse web", ["M1805"]),
        ("boulanger", ["D1102"]),
        ("boulangère", ["D1102"]),
        ("aide-soignant", ["J1501"]),
        ("cariste", ["N1101"]),
        ("tailleuse de pierre", ["F1612"]),
    ],
)
def test_a_trade_is_associated_with_its_rome_job(keyword, codes):
    assert jobs_for(keyword) == codes


def test_the_job_title_matched_is_the_one_shown():
    [match] = job_matcher.get().match([("developpeur",), ("web",)])
    assert (match.code, match.label, match.coverage) == ("M1805", "Développeur / Développeuse web", 1.0)


def test_telephonie_is_associated_with_telecom_jobs_not_with_phone_words():
    codes = jobs_for("téléphonie")
    assert "I1307" in codes
    assert "M1401" not in codes  # "Enquêteur au téléphone": another word


def test_a_word_no_job_title_holds_associates_no_job():
    assert jobs_for("xylophage quantique") == []


def test_job_suggestions_complete_the_last_word():
    labels = [match.label for match in job_matcher.get().suggest("boulang", limit=3)]
    assert labels[0] == "Boulanger / Boulangère"


@pytest.mark.parametrize(
    ("text", "code"),
    [("RNCP37873", "RNCP37873"), (" rncp 37873 ", "RNCP37873"), ("RS5063", "RS5063"), ("boulanger", None)],
)
def test_certification_codes_are_recognised(text, code):
    assert certification_code(text) == code


def test_one_typo_is_corrected_towards_the_most_frequent_known_word():
    checker = SpellChecker({"developpeur": 50, "boulanger": 20, "soignant": 5, "soigneur": 1})
    assert checker.correct("devloppeur") == "developpeur"  # a letter missing
    assert checker.correct("developpeurr") == "developpeur"  # a letter too many
    assert checker.correct("boulanher") == "boulanger"  # a letter changed
    assert checker.correct("soignnat") == "soignant"  # two letters swapped
    assert checker.correct("soxgnanz") is None  # two edits
    assert checker.correct("boulanger") is None  # known words are left alone


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [("chat", "chta", True), ("chat", "chats", True), ("chat", "chien", False), ("abc", "abc", True)],
)
def test_within_one_edit(a, b, close):
    assert _within_one_edit(a, b) is close
