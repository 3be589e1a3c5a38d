"""The import's fast checks of NIRs and SIRETs agree with the reference implementations."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.fr import siret as stdnum_siret

from cpf.holders.nir import InvalidNir, parse_nir
from cpf.rights.declarations import _Invalid, _nir, siret_is_valid

digits = st.text(alphabet="0123456789", min_size=14, max_size=14)
la_poste = st.text(alphabet="0123456789", min_size=5, max_size=5).map(lambda nic: "356000000" + nic)


@settings(max_examples=3_000)
@given(st.one_of(digits, la_poste))
def test_the_siret_check_agrees_with_python_stdnum(number):
    assert siret_is_valid(number) == stdnum_siret.is_valid(number)


@settings(max_examples=2_000)
@given(
    st.text(alphabet="0123456789", min_size=13, max_size=13),
    st.one_of(st.none(), st.integers(min_value=0, max_value=99)),
)
def test_the_nir_check_agrees_with_parse_nir(body, key):
    number = f"{body}{97 - int(body) % 97 if key is None else key:02d}"
    try:
        expected = parse_nir(number).value
    except InvalidNir:
        expected = None
    try:
        found = _nir(number).value
    except _Invalid:
        found = None
    assert found == expected
