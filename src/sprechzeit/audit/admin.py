"""Staff actions taken in Django's admin leave an audit entry too.

`AuditedActions` wraps every action of a model admin (unblock, write off, record a
chargeback, reject a refund, process again, …): the action and one entry per object it
was run on commit together, in one transaction. The console's own actions write their
entries in their services; this closes the admin's side door.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import ActionLocation
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from sprechzeit.audit.services import audit_record
from sprechzeit.core.net import client_address

type Action = Callable[[Any, HttpRequest, QuerySet[Any]], Any]


def _audited(func: Action, name: str) -> Action:
    def run(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        label = modeladmin.model._meta.model_name
        with transaction.atomic():
            targets: list[models.Model] = list(queryset)
            result = func(modeladmin, request, queryset)
            for target in targets:
                audit_record(
                    actor=request.user,  # type: ignore[arg-type]
                    action=f"admin.{label}.{name}",
                    target=target,
                    after={"via": "admin"},
                    ip=client_address(request) or None,
                )
        return result

    run.__name__ = getattr(func, "__name__", name)
    for attribute in ("short_description", "allowed_permissions"):
        if hasattr(func, attribute):
            setattr(run, attribute, getattr(func, attribute))
    return run


class AuditedActions(admin.ModelAdmin[Any]):
    """A model admin whose actions each write one audit entry per object (see above)."""

    def get_actions(
        self, request: HttpRequest, action_location: ActionLocation = ActionLocation.CHANGE_LIST
    ) -> dict[str, Any]:
        actions: dict[str, Any] = dict(
            super().get_actions(request, action_location=action_location) or {}
        )
        return {
            name: replace(action, func=_audited(action.func, name))
            for name, action in actions.items()
        }
