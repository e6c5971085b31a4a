"""Without Redis the demo (and any install without REDIS_URL) keeps its cache in files
under var/cache: a heartbeat the server process records is seen by a reaper in another
process. Tests themselves keep the isolated in-memory cache."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from sprechzeit.consultations.models import Consultation
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_request,
    consultations_reap,
)
from sprechzeit.consultations.tests.factories import scene
from sprechzeit.core import clock
from sprechzeit.ledger.tests.helpers import assert_ledger_sound

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

SETUP = "import django; django.setup()\n"
WRITE = SETUP + (
    "import sys\n"
    "from datetime import datetime\n"
    "from django.conf import settings\n"
    "from sprechzeit.consultations.heartbeats import heartbeat_record\n"
    "print(settings.CACHES['default']['BACKEND'])\n"
    "for role in ('client', 'partner'):\n"
    "    heartbeat_record(consultation_id=sys.argv[1], role=role,\n"
    "                     at=datetime.fromisoformat(sys.argv[2]))\n"
)
READ = SETUP + (
    "import sys\n"
    "from sprechzeit.consultations.heartbeats import heartbeats_last\n"
    "beats = heartbeats_last(consultation_id=sys.argv[1])\n"
    "print(beats['client'].isoformat(), beats['partner'].isoformat())\n"
)


def _run(var_dir: Path, code: str, *args: str) -> str:
    """Run `code` in a new Python process configured like `sprechzeit demo`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTEST_VERSION", "REDIS_URL", "CELERY_BROKER_URL", "SPRECHZEIT_MODE"}
    }
    env.update(
        SPRECHZEIT_MODE="demo",
        VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="sprechzeit.config.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _file_cache(var_dir: Path) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(var_dir / "cache"),
        }
    }


def test_tests_keep_the_in_memory_cache() -> None:
    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def test_a_heartbeat_written_by_one_process_is_read_by_another(tmp_path: Path) -> None:
    consultation_id = str(uuid.uuid4())
    moment = datetime(2026, 3, 2, 10, 0, 40, tzinfo=UTC)
    backend = _run(tmp_path, WRITE, consultation_id, moment.isoformat())
    assert backend == "django.core.cache.backends.filebased.FileBasedCache"
    assert (tmp_path / "cache").is_dir()
    assert _run(tmp_path, READ, consultation_id) == f"{moment.isoformat()} {moment.isoformat()}"


@pytest.mark.django_db
def test_the_reaper_ends_at_the_heartbeat_another_process_recorded(tmp_path: Path) -> None:
    with clock.frozen_at(T0) as frozen:
        s = scene(balance_minor=500, rate_minor=200)
        consultation = consultation_request(client=s.client, listing=s.listing, now=T0)
        consultation = consultation_accept(consultation=consultation, partner=s.partner, now=T0)
        # The "server" records both sides' heartbeats at 40 s, in its own process.
        _run(tmp_path, WRITE, str(consultation.pk), (T0 + timedelta(seconds=40)).isoformat())
        frozen.set(T0 + timedelta(seconds=80))
        # This process is the reaper, on the same file cache.
        with override_settings(CACHES=_file_cache(tmp_path)):
            assert consultations_reap().ended == 1
        consultation = Consultation.objects.get(pk=consultation.pk)
        assert (consultation.end_reason, consultation.duration_seconds) == ("reaper", 40)
        assert consultation.amount_minor == 133
        assert_ledger_sound()
