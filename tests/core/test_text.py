from __future__ import annotations

import pytest

from cpf.core.text import fold, undouble_apostrophes


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Développeur / Développeuse web", "developpeur developpeuse web"),
        ("Œnologue", "oenologue"),
        ("L'Haÿ-les-Roses", "l hay les roses"),
        ("  BOULANGÈRE  ", "boulangere"),
    ],
)
def test_fold_removes_accents_case_and_punctuation(text, folded):
    assert fold(text) == folded


def test_doubled_apostrophes_are_undone():
    assert undouble_apostrophes("l''entretien") == "l'entretien"
