"""REST API v1 for the wallet (session authentication of a logged-in client) and its
OpenAPI document. Errors answer as {"code", "message", "fields"}."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from sprechzeit.core.errors import DomainError
from sprechzeit.core.money import Money
from sprechzeit.payments import selectors
from sprechzeit.payments.models import Channel, ChannelPolicy, Payment
from sprechzeit.payments.services import payments
from sprechzeit.payments.services.references import format_reference, transfer_reference_for
from sprechzeit.payments.views import _urls, client_of
from sprechzeit.wallets import services as wallets


def _error(code: str, message: str, status: int, **fields: Any) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "fields": fields}, status=status)


def _unauthenticated() -> JsonResponse:
    return _error("not_authenticated", "Log in as a client of this platform.", 401)


def _money(value: Money) -> dict[str, Any]:
    return {"amount_minor": value.minor, "currency": value.currency}


def _payment(payment: Payment) -> dict[str, Any]:
    return {
        "id": str(payment.pk),
        "channel": payment.channel,
        "amount": _money(payment.amount),
        "status": payment.status,
        "credited": payment.credited_at is not None,
        "refunded": _money(Money(int(payment.refunded_minor), payment.currency)),
        "charged_back": _money(Money(int(payment.charged_back_minor), payment.currency)),
        "created_at": payment.created_at.isoformat(),
    }


@require_GET
def wallet(request: HttpRequest) -> HttpResponse:
    account = client_of(request)
    if account is None:
        return _unauthenticated()
    balance = wallets.wallet_balance(client_account=account)
    limit = wallets.wallet_deposit_limit(client_account=account)
    state = account.wallet_state
    return JsonResponse(
        {
            "total": _money(balance.total),
            "paid": _money(balance.paid),
            "bonus": _money(balance.bonus),
            "pending": _money(balance.pending),
            "available": _money(balance.available),
            "receivable": _money(balance.receivable),
            "blocked": state.blocked_at is not None,
            "deposit_limit": None if limit is None else _money(limit),
            "channels": [
                {
                    "id": policy.pk,
                    "channel": policy.channel,
                    "label": str(policy),
                    "min": _money(Money(policy.min_minor, account.platform.currency)),
                    "max": _money(Money(policy.max_minor, account.platform.currency)),
                    "presets": [int(p) for p in policy.presets],
                }
                for policy in payments.channels_for(client_account=account)
            ],
        }
    )


@csrf_exempt  # JSON only (a cross-site form cannot send it without a CORS preflight)
@require_http_methods(["POST"])
def topups(request: HttpRequest) -> HttpResponse:
    account = client_of(request)
    if account is None:
        return _unauthenticated()
    if request.content_type != "application/json":
        return _error("unsupported_media_type", "Send application/json.", 415)
    try:
        body = json.loads(request.body)
        amount = Money(
            int(body["amount_minor"]), str(body.get("currency", account.platform.currency))
        )
        channel_id = body.get("channel_id")
        channel = body.get("channel")
    except (ValueError, KeyError, TypeError, DomainError):
        return _error("invalid_request", "Expected {amount_minor, channel_id | channel}.", 400)
    policies = ChannelPolicy.objects.filter(platform=account.platform, enabled=True)
    policy = (
        policies.filter(pk=channel_id).first()
        if channel_id is not None
        else policies.filter(channel=channel).first()
    )
    if policy is None:
        return _error("channel_unavailable", "Unknown channel.", 400)
    if policy.channel == Channel.BANK_TRANSFER:
        entity = account.platform.legal_entity
        return JsonResponse(
            {
                "kind": "bank_transfer",
                "iban": entity.iban,
                "bic": entity.bic,
                "holder": entity.name,
                "reference": format_reference(transfer_reference_for(client_account=account)),
                "amount": _money(amount),
            },
            status=200,
        )
    try:
        payment = payments.payment_start(
            client_account=account,
            policy=policy,
            amount=amount,
            **_urls(request, policy.provider_config),
        )
    except DomainError as exc:
        status = 403 if exc.code in ("wallet_blocked", "self_excluded") else 400
        return JsonResponse(exc.as_dict(), status=status)
    data = _payment(payment)
    data["kind"] = "redirect"
    data["redirect_url"] = request.build_absolute_uri(payment.redirect_url)
    return JsonResponse(data, status=201)


@require_GET
def payment_list(request: HttpRequest) -> HttpResponse:
    account = client_of(request)
    if account is None:
        return _unauthenticated()
    return JsonResponse({"payments": [_payment(p) for p in selectors.payments_of(account)[:100]]})


_MONEY = {
    "type": "object",
    "required": ["amount_minor", "currency"],
    "properties": {
        "amount_minor": {"type": "integer", "description": "Integer minor units (cents)."},
        "currency": {"type": "string", "example": "EUR"},
    },
}
_ERROR = {
    "type": "object",
    "required": ["code", "message", "fields"],
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "fields": {"type": "object"},
    },
}
_PAYMENT = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "channel": {"type": "string", "enum": list(Channel.values)},
        "amount": {"$ref": "#/components/schemas/Money"},
        "status": {
            "type": "string",
            "enum": ["created", "pending", "succeeded", "failed", "canceled"],
        },
        "credited": {"type": "boolean"},
        "refunded": {"$ref": "#/components/schemas/Money"},
        "charged_back": {"$ref": "#/components/schemas/Money"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}
_ERRORS = {
    "400": {
        "description": "Bad request",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
    "401": {
        "description": "Not logged in as a client of this platform",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Sprechzeit API", "version": "1"},
    "components": {
        # "__Host-sessionid" in production (secure cookies), "sessionid" elsewhere.
        "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
        },
        "schemas": {"Money": _MONEY, "Error": _ERROR, "Payment": _PAYMENT},
    },
    "security": [{"session": []}],
    "paths": {
        "/api/v1/wallet": {
            "get": {
                "summary": "The client's balance, limits and available payment channels",
                "responses": {
                    "200": {
                        "description": "Balance",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        name: {"$ref": "#/components/schemas/Money"}
                                        for name in (
                                            "total",
                                            "paid",
                                            "bonus",
                                            "pending",
                                            "available",
                                            "receivable",
                                        )
                                    }
                                    | {
                                        "blocked": {"type": "boolean"},
                                        "deposit_limit": {
                                            "oneOf": [
                                                {"$ref": "#/components/schemas/Money"},
                                                {"type": "null"},
                                            ]
                                        },
                                        "channels": {"type": "array", "items": {"type": "object"}},
                                    },
                                }
                            }
                        },
                    },
                    "401": _ERRORS["401"],
                },
            }
        },
        "/api/v1/wallet/topups": {
            "post": {
                "summary": "Start a top-up; returns where to pay",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["amount_minor"],
                                "properties": {
                                    "amount_minor": {"type": "integer", "minimum": 1},
                                    "currency": {"type": "string"},
                                    "channel_id": {"type": "integer"},
                                    "channel": {"type": "string", "enum": list(Channel.values)},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "Checkout created: send the payer to redirect_url",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "allOf": [
                                        {"$ref": "#/components/schemas/Payment"},
                                        {
                                            "type": "object",
                                            "properties": {
                                                "kind": {"const": "redirect"},
                                                "redirect_url": {"type": "string", "format": "uri"},
                                            },
                                        },
                                    ]
                                }
                            }
                        },
                    },
                    "200": {
                        "description": "Bank transfer: the details to pay to (kind = bank_transfer)"
                    },
                    "400": _ERRORS["400"],
                    "401": _ERRORS["401"],
                    "403": {
                        "description": "Blocked or self-excluded client",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                },
            }
        },
        "/api/v1/wallet/payments": {
            "get": {
                "summary": "The client's payments, newest first",
                "responses": {
                    "200": {
                        "description": "Payments",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "payments": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/Payment"},
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "401": _ERRORS["401"],
                },
            }
        },
        "/hooks/payments/{provider_config_id}/": {
            "post": {
                "summary": "Provider webhooks (raw body, verified per provider)",
                "security": [],
                "parameters": [
                    {
                        "name": "provider_config_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "Authentic event stored (applied, ignored or waiting for review)"
                    },
                    "400": {"description": "Bad signature, stale timestamp or malformed body"},
                    "404": {"description": "Unknown provider configuration"},
                },
            }
        },
    },
}


@require_GET
def openapi(request: HttpRequest) -> HttpResponse:
    return JsonResponse(OPENAPI)
