"""The browser crawl's page list (tests/browser/crawl_pages.py), without a browser: every
URL pattern is a page some crawl role visits with its parameters filled, or excluded with
a reason, so a new page cannot be skipped silently."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.urls import include, path

from sprechzeit.accounts import access
from tests.browser.crawl_pages import (
    EXCLUDED,
    ROLES,
    Role,
    coverage_problems,
    excluded_reason,
    pages,
    role_pages,
    role_paths,
)


def _new_page(request: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("neu")


# A URLconf with two new pages (the tests below switch to it).
urlpatterns = [
    path("neu/<slug:slug>/", _new_page, name="crawl_new_page"),
    path("neu/<int:pk>/detail/", _new_page, name="crawl_new_detail"),
    path("", include("sprechzeit.config.urls")),
]


def _role(label: str) -> Role:
    return next(role for role in ROLES if role.label == label)


def test_every_page_is_crawled_or_excluded_with_a_reason() -> None:
    assert coverage_problems() == []


def test_each_role_visits_the_pages_the_access_table_allows_it() -> None:
    names = {label: {u.view_name for u in role_pages(_role(label))} for label in _labels()}
    assert {"site:home", "site:directory", "site:listing"} <= names["coaching-anonymous"]
    assert "payments:wallet" not in names["coaching-anonymous"]
    assert {"payments:wallet", "payments:result", "consultations:room"} <= names["karten-client"]
    assert {"partner:dashboard", "statements:objection", "consultations:room"} <= names[
        "coaching-partner"
    ]
    assert "payments:wallet" not in names["coaching-partner"]
    assert {"backoffice:support_messages", "backoffice:support_client"} <= names["network-support"]
    assert "backoffice:audit" not in names["network-support"]
    assert "backoffice:risk_dispute" in names["network-risk"]
    assert "backoffice:books" in names["network-accounting"]
    assert {"backoffice:audit", "backoffice:books", "backoffice:risk_dispute"} <= names[
        "network-admin"
    ]
    assert not any(name.startswith("backoffice:") for name in names["network-anonymous"])
    # Nothing excluded is visited, and every exclusion says why.
    assert not any(excluded_reason(url.view_name) for url in pages())
    assert all(reason.strip() for reason in EXCLUDED.values())


def _labels() -> list[str]:
    return [role.label for role in ROLES]


def test_the_paths_are_filled_with_the_demo_objects() -> None:
    objects = {"listing_slug": "anna-berger", "consultation": "c0ffee", "own_listing": 7}
    objects |= dict.fromkeys(("payment", "pending_payment", "method_setup", "statement"), 1)
    objects |= dict.fromkeys(("verify_token", "reset_uid", "reset_token"), "t")
    objects["partner_invitation"] = "t"
    paths = role_paths(_role("coaching-partner"), objects)
    assert "/beratung/c0ffee/" in paths
    assert "/partner/profile/7/" in paths
    assert "/berater/anna-berger/" in paths
    with pytest.raises(LookupError, match="statement"):
        role_paths(_role("coaching-partner"), objects | {"statement": None})


@pytest.mark.urls(__name__)
def test_a_new_page_is_visited_or_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a line in the access table no role may see a new page: reported. With one,
    a parameter the crawl knows (a slug) is filled; an unknown `pk` is reported."""
    problems = coverage_problems()
    assert any(p.startswith("crawl_new_page ") and "no crawl role" in p for p in problems)
    monkeypatch.setitem(access.URL_RULES, "crawl_new_page", access.public("Neu"))
    monkeypatch.setitem(access.URL_RULES, "crawl_new_detail", access.clients("Neu"))
    problems = coverage_problems()
    assert not any(p.startswith("crawl_new_page ") for p in problems)
    assert "crawl_new_page" in {u.view_name for u in role_pages(_role("karten-anonymous"))}
    assert any(p.startswith("crawl_new_detail ") and "['pk']" in p for p in problems)
