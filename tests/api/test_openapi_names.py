"""Every schema of the API has its own name: django-ninja files components by class name, and a
second class of the same name would silently replace the first in the published OpenAPI."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict

from ninja import Schema

import cpf.api.v1


def test_no_two_schemas_of_the_api_share_a_name():
    owners: dict[str, set[str]] = defaultdict(set)
    for module_info in pkgutil.iter_modules(cpf.api.v1.__path__):
        module = importlib.import_module(f"cpf.api.v1.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Schema) and value.__module__ == module.__name__:
                owners[value.__name__].add(module.__name__)

    assert {name: modules for name, modules in owners.items() if len(modules) > 1} == {}
