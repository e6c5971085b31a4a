"""Suite-wide test set-up: PostgreSQL-only tests, shared fixtures."""

from __future__ import annotations

import pytest
from django.conf import settings


def _on_postgres() -> bool:
    return bool(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgres` need the real server; on SQLite they are deselected (they run
    in the PostgreSQL pass of `make test`). On PostgreSQL nothing is skipped: an
    unreachable server fails the run, as CI demands."""
    # Playwright's sync API keeps an event loop running in the main thread for the whole
    # session; async tests must therefore run before the first browser test.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    if _on_postgres():
        return
    selected: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        (deselected if item.get_closest_marker("postgres") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(autouse=True)
def _media_root(tmp_path: object, settings: object) -> None:
    """Uploads in tests go to a temporary folder, never into var/."""
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate limits and other cached state never leak from one test into the next."""
    from django.core.cache import cache  # noqa: PLC0415 - settings must be loaded first

    cache.clear()
