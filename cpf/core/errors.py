"""The one family of business errors (DESIGN.md section 2; house-style "Business operations").

A service refuses an operation by raising a ``BusinessError`` (or a domain subclass) carrying one
or more ``Problem``: a stable ``code`` (for the API's clients and the tests), the ``field`` it
concerns (empty for the whole operation) and a French ``message`` ready to show. The delivery
layers turn it into what their users read, in one place each:

- ``add_to_form(form, error)``: form errors, on their field when the form has it;
- ``api_errors(error)``: the API's structured errors ``[{"field", "code", "message"}]``
  (``cpf/api/v1/api.py`` maps the exception itself to a 422, or to the error's ``status``);
- the admin's service actions report ``error.messages``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Self


@dataclass(frozen=True)
class Problem:
    """One reason for a refusal."""

    message: str
    field: str = ""
    code: str = "invalid"


class BusinessError(Exception):
    """An operation refused for a business reason; nothing was changed.

    ``BusinessError("Le motif est obligatoire.", field="reason", code="reason_required")`` for one
    problem, ``BusinessError(["…", "…"])`` for several on the whole operation, or
    ``BusinessError(problems=[Problem(...), ...])``. Subclasses set ``code`` (the default code of
    their problems) and ``status`` (the HTTP status the API answers with)."""

    code = "invalid"
    status = 422

    def __init__(
        self,
        message: str | Iterable[str] | None = None,
        *,
        field: str = "",
        code: str | None = None,
        problems: Iterable[Problem] = (),
    ) -> None:
        found = list(problems)
        texts = [message] if isinstance(message, str) else list(message or [])
        found += [Problem(text, field, code or self.code) for text in texts]
        if not found:
            raise ValueError("a business error states at least one problem")
        self.problems = found
        super().__init__(" ".join(problem.message for problem in found))

    @property
    def messages(self) -> list[str]:
        return [problem.message for problem in self.problems]

    @property
    def field(self) -> str:
        """The field of the first problem (empty: the whole operation)."""
        return self.problems[0].field

    @property
    def message(self) -> str:
        return str(self)

    @classmethod
    def from_fields(cls, errors: Mapping[str, Iterable[str]], *, code: str | None = None) -> Self:
        """Several problems keyed by field, as the checks of a form-like input produce them."""
        return cls(
            problems=[
                Problem(text, field, code or cls.code) for field, texts in errors.items() for text in texts
            ]
        )

    def by_field(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.field, []).append(problem.message)
        return grouped


def required_reason(reason: str, error: type[BusinessError] = BusinessError) -> str:
    """Sanctions and refusals state their reason (rules 15 and 26): refuse a blank one with
    ``error``, the calling domain's own error."""
    if not reason.strip():
        raise error("Le motif est obligatoire.", field="reason", code="reason_required")
    return reason.strip()


def add_to_form(form: Any, error: BusinessError, *, fields: Mapping[str, str] | None = None) -> None:
    """Show a refusal on a Django form: each problem on its field when the form has it (``fields``
    renames a service's field to the form's), otherwise above the form."""
    renames = fields or {}
    for problem in error.problems:
        name = renames.get(problem.field, problem.field)
        form.add_error(name if name in form.fields else None, problem.message)


def api_errors(error: BusinessError) -> list[dict[str, str]]:
    """The API's structured errors for a refusal."""
    return [
        {"field": problem.field, "code": problem.code, "message": problem.message}
        for problem in error.problems
    ]
