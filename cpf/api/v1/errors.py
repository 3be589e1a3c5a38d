"""The API's error format, one schema for every endpoint: ``{"errors": [{"field", "code",
"message"}]}``. ``code`` is the stable code of a business refusal (``cpf.core.errors``); an
error that is not one (a malformed request, an unknown path, a missing token) has none, and the
key is then left out rather than sent empty."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from pydantic import SerializerFunctionWrapHandler, model_serializer


class Error(Schema):
    field: str = Field(
        description="Champ ou paramètre en cause, vide quand l'erreur porte sur la requête entière."
    )
    code: str | None = Field(
        None,
        description=(
            "Code stable du refus (par exemple `invalid_nir`, `login_locked`, `invalid_search`), "
            "à tester plutôt que le message ; absent quand l'erreur n'est pas un refus métier "
            "(requête mal formée, authentification manquante, ressource introuvable)."
        ),
    )
    message: str = Field(description="Message en français, à montrer tel quel.")

    # No return annotation: pydantic would document the annotated type (any object) instead of
    # the fields above.
    @model_serializer(mode="wrap")
    def _without_absent_code(self, serialize: SerializerFunctionWrapHandler):
        data: dict[str, Any] = serialize(self)
        if data.get("code") is None:
            data.pop("code", None)
        return data


class Errors(Schema):
    errors: list[Error]
