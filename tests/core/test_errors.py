"""The one family of business errors (cpf/core/errors.py): a refusal carries problems (French
message, field, stable code), shown on a form by ``add_to_form`` and answered by the API from
one handler (cpf/api/v1/api.py) with the error's status and each problem's code."""

from __future__ import annotations

import importlib
import pathlib

import pytest
from django import forms

from cpf.core.errors import BusinessError, Problem, add_to_form, api_errors, required_reason
from tests.api.calls import bearer, post_json
from tests.holders.factories import NIR, TermsVersionFactory, holder_with_login

# Every module that declares business errors: imported so that the walk below sees them all.
DOMAIN_MODULES = [
    "cpf.accounts.login",
    "cpf.accounts.services",
    "cpf.api.v1.holders",
    "cpf.catalogue.pricing",
    "cpf.catalogue.services",
    "cpf.core.money",
    "cpf.core.parameters",
    "cpf.core.state_machine",
    "cpf.holders.access",
    "cpf.holders.corrections",
    "cpf.holders.nir",
    "cpf.holders.services",
    "cpf.ledger.services",
    "cpf.providers.bank_details",
    "cpf.providers.services",
    "cpf.providers.validators",
    "cpf.rights.declarations",
    "cpf.rights.services",
    "cpf.search.engine",
]
CPF = pathlib.Path(__file__).resolve().parents[2] / "cpf"


class RefusedForTest(BusinessError):
    code = "refused_for_test"
    status = 409


class InviteForm(forms.Form):
    email = forms.EmailField()
    password1 = forms.CharField()


def test_one_problem_carries_its_message_field_and_code():
    error = BusinessError("Le motif est obligatoire.", field="reason", code="reason_required")

    assert error.problems == [Problem("Le motif est obligatoire.", "reason", "reason_required")]
    assert (error.message, error.messages, error.field) == (
        "Le motif est obligatoire.",
        ["Le motif est obligatoire."],
        "reason",
    )
    assert str(error) == "Le motif est obligatoire."
    assert (error.code, error.status) == ("invalid", 422)


def test_several_problems_on_the_whole_operation_take_the_class_s_code():
    error = RefusedForTest(["Le SIRET est manquant.", "Le certificat Qualiopi est manquant."])

    assert error.problems == [
        Problem("Le SIRET est manquant.", "", "refused_for_test"),
        Problem("Le certificat Qualiopi est manquant.", "", "refused_for_test"),
    ]
    assert error.field == ""
    assert str(error) == "Le SIRET est manquant. Le certificat Qualiopi est manquant."
    assert error.status == 409


def test_problems_given_one_by_one_keep_their_own_fields_and_codes():
    error = RefusedForTest(
        problems=[
            Problem("Le BIC compte 8 ou 11 caractères.", "bic", "bic_format"),
            Problem("Indiquez le titulaire du compte.", "account_holder_name", "account_holder_required"),
        ]
    )

    assert [(p.field, p.code) for p in error.problems] == [
        ("bic", "bic_format"),
        ("account_holder_name", "account_holder_required"),
    ]
    assert error.field == "bic"


def test_from_fields_makes_a_problem_of_each_message_on_its_field():
    error = RefusedForTest.from_fields(
        {
            "nir": ["Le NIR ne correspond pas au mois de naissance.", "Ni au sexe."],
            "password": ["Trop court."],
        }
    )

    assert isinstance(error, RefusedForTest)
    assert error.by_field() == {
        "nir": ["Le NIR ne correspond pas au mois de naissance.", "Ni au sexe."],
        "password": ["Trop court."],
    }
    assert {problem.code for problem in error.problems} == {"refused_for_test"}
    assert {p.code for p in BusinessError.from_fields({"x": ["Non."]}, code="other").problems} == {"other"}


def test_a_refusal_states_at_least_one_problem():
    with pytest.raises(ValueError, match="at least one problem"):
        BusinessError([])


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_a_blank_reason_is_refused_with_the_domain_s_own_error(reason):
    with pytest.raises(RefusedForTest) as refused:
        required_reason(reason, RefusedForTest)

    assert refused.value.problems == [Problem("Le motif est obligatoire.", "reason", "reason_required")]
    assert required_reason("  Fraude avérée ", RefusedForTest) == "Fraude avérée"


def test_add_to_form_puts_each_problem_on_its_field_or_above_the_form():
    form = InviteForm({"email": "camille@example.fr", "password1": "x"})
    assert form.is_valid()
    refused = BusinessError(
        problems=[
            Problem("Cette personne est déjà membre.", "email", "already_member"),
            Problem("Le mot de passe est trop court.", "password", "weak_password"),
            Problem("Ce SIRET n'est pas valide.", "siret", "invalid_siret"),
            Problem("Seuls les administrateurs invitent.", "", "not_an_administrator"),
        ]
    )

    add_to_form(form, refused, fields={"password": "password1"})

    assert not form.is_valid()
    assert form.errors == {
        "email": ["Cette personne est déjà membre."],
        "password1": ["Le mot de passe est trop court."],
        "__all__": ["Ce SIRET n'est pas valide.", "Seuls les administrateurs invitent."],
    }


def test_api_errors_give_field_code_and_message_of_each_problem():
    refused = RefusedForTest(
        problems=[
            Problem("Le rayon doit valoir 5, 10, 30, 50 ou 100 km.", "radius_km", "invalid_search"),
            Problem("Lieu inconnu.", "place", "invalid_search"),
        ]
    )

    assert api_errors(refused) == [
        {
            "field": "radius_km",
            "code": "invalid_search",
            "message": "Le rayon doit valoir 5, 10, 30, 50 ou 100 km.",
        },
        {"field": "place", "code": "invalid_search", "message": "Lieu inconnu."},
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_clock")
def test_the_api_answers_a_refusal_with_its_code_and_status(client):
    response = post_json(client, "/api/v1/auth/token", {"nir": NIR[:13] + "00", "password": "Formation2026"})

    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {
                "field": "nir",
                "code": "invalid_nir",
                "message": "La clé de contrôle ne correspond pas au numéro : vérifiez les 15 caractères.",
            }
        ]
    }


@pytest.mark.django_db
def test_the_api_answers_with_the_status_the_error_class_gives(client, frozen_clock):
    # the holder accepted terms that a newer version replaced: rule 27 refuses with a 403
    holder = holder_with_login(accepted=TermsVersionFactory())
    TermsVersionFactory()

    response = client.get("/api/v1/me/rights", **bearer(holder))

    assert response.status_code == 403
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("terms", "terms_not_accepted")


@pytest.mark.usefixtures("frozen_clock")
def test_the_api_answers_every_problem_of_a_refusal(client):
    response = client.get("/api/v1/search", {"lat": "95", "radius_km": "7"})

    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {
                "field": "lon",
                "code": "invalid_search",
                "message": "Indiquez la latitude et la longitude de la position.",
            },
            {
                "field": "lat",
                "code": "invalid_search",
                "message": "La latitude doit être comprise entre -90 et 90.",
            },
            {
                "field": "radius_km",
                "code": "invalid_search",
                "message": "Le rayon doit valoir 5, 10, 30, 50 ou 100 km.",
            },
        ]
    }


@pytest.mark.usefixtures("frozen_clock")
def test_an_error_that_is_no_business_refusal_has_no_code_key(client):
    not_found = client.get("/api/v1/trainings/0")
    malformed = post_json(client, "/api/v1/auth/token", {"nir": NIR})

    assert (not_found.status_code, not_found.json()) == (
        404,
        {"errors": [{"field": "training_id", "message": "Formation introuvable."}]},
    )
    assert (malformed.status_code, malformed.json()) == (
        422,
        {"errors": [{"field": "password", "message": "Ce champ est obligatoire."}]},
    )


def test_the_api_documents_the_code_as_optional(client):
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["Error"]

    assert schema["required"] == ["field", "message"]
    assert "code" in schema["properties"]
    assert "refus" in schema["properties"]["code"]["description"]


def test_every_business_error_of_the_domains_has_its_own_code():
    for module in DOMAIN_MODULES:
        importlib.import_module(module)
    family, todo = [], [BusinessError]
    while todo:
        for subclass in todo.pop().__subclasses__():
            family.append(subclass)
            todo.append(subclass)
    domain = [cls for cls in family if cls.__module__.startswith("cpf.")]

    assert len(domain) >= 25
    assert [cls.__qualname__ for cls in domain if cls.code == BusinessError.code] == []


def test_domain_code_never_raises_the_forms_validation_error():
    """A domain refuses with a business error: Django's ``ValidationError`` belongs to forms,
    admin forms and Django's own validators (the password rule is one)."""
    delivery = {"www", "api"}
    raising = [
        str(path.relative_to(CPF))
        for path in CPF.rglob("*.py")
        if path.relative_to(CPF).parts[0] not in delivery
        and path.name != "admin.py"
        and "raise ValidationError" in path.read_text()
    ]

    assert raising == ["holders/validators.py"]
