"""Every `DomainError` there is, for the tests of the two doors to HTTP (site, api)."""

from __future__ import annotations

import importlib
import importlib.util

from django.apps import apps

from sprechzeit.core.errors import DomainError

# Modules that define an error outside their app's errors.py.
_ALSO = ("sprechzeit.site.account", "sprechzeit.payments.services.payments")


def all_domain_errors() -> list[type[DomainError]]:
    """Every subclass, after importing each app's `errors` module (imported by name, so
    this helper depends on no app); sorted, so an index names the same class every time."""
    for config in apps.get_app_configs():
        name = f"{config.name}.errors"
        if config.name.startswith("sprechzeit.") and importlib.util.find_spec(name):
            importlib.import_module(name)
    for module in _ALSO:
        importlib.import_module(module)
    found: set[type[DomainError]] = set()
    todo = [DomainError]
    while todo:
        cls = todo.pop()
        if cls not in found:
            found.add(cls)
            todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
