"""Settings, i18n, the demo seed, Celery, the ASGI app and the architecture contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from sprechzeit.accounts.models import ClientAccount, Listing, Partner, User
from sprechzeit.config.env import Env, Mode
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.tests.factories import platform_create

ROOT = Path(__file__).resolve().parent.parent


def test_production_without_secret_key_fails_with_clear_message() -> None:
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is not set"):
        Env.load({"SPRECHZEIT_MODE": "production"})


def test_production_start_refuses_without_secret_key_as_a_process() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "SPRECHZEIT_MODE": "production",
        "DJANGO_SETTINGS_MODULE": "sprechzeit.config.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_env_defaults_and_parsing() -> None:
    env = Env.load(
        {"SPRECHZEIT_MODE": "production", "SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "a.de, b.de"}
    )
    assert env.mode is Mode.PRODUCTION
    assert env.allowed_hosts == ("a.de", "b.de")
    assert env.database_url.startswith("sqlite:///")
    assert env.database_url.endswith("sprechzeit.sqlite3")
    assert env.redis_url is None
    assert env.celery_broker_url is None
    assert env.secure_cookies is True
    assert env.time_zone == "Europe/Berlin"
    demo = Env.load({"SPRECHZEIT_MODE": "demo", "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert demo.secret_key
    assert demo.email_backend == "console"
    assert demo.celery_broker_url == "redis://127.0.0.1:6379/0"
    with pytest.raises(ImproperlyConfigured, match="SPRECHZEIT_MODE"):
        Env.load({"SPRECHZEIT_MODE": "staging"})
    assert env.db_conn_max_age is None
    assert Env.load({"SPRECHZEIT_MODE": "test", "DB_CONN_MAX_AGE": "60"}).db_conn_max_age == 60
    with pytest.raises(ImproperlyConfigured, match="DB_CONN_MAX_AGE"):
        Env.load({"SPRECHZEIT_MODE": "test", "DB_CONN_MAX_AGE": "forever"})


@pytest.mark.django_db
def test_demo_seed_is_idempotent() -> None:
    from sprechzeit.demo.seed import demo_seed  # noqa: PLC0415

    first = demo_seed()
    counts = [
        Platform.objects.count(),
        User.objects.count(),
        Partner.objects.count(),
        Listing.objects.count(),
        ClientAccount.objects.count(),
    ]
    second = demo_seed()
    assert first.created > 0
    assert second.created == 0
    assert counts == [
        Platform.objects.count(),
        User.objects.count(),
        Partner.objects.count(),
        Listing.objects.count(),
        ClientAccount.objects.count(),
    ]
    assert counts[0] == 2
    assert counts[2] >= 4


@pytest.mark.django_db
def test_demo_landing_page_lists_partners_in_german(client: Client) -> None:
    from sprechzeit.demo.seed import demo_seed  # noqa: PLC0415

    demo_seed()
    body = client.get("/", headers={"host": "coaching.localhost:8000"}).content.decode()
    assert '<html lang="de">' in body
    assert "Unsere Berater" in body
    assert "Anna Berger" in body
    assert "1,99\xa0€ pro Minute" in body
    assert "Impressum" in body


@pytest.mark.django_db
def test_english_is_selectable_and_remembered(client: Client) -> None:
    platform_create(slug="a")
    host = {"host": "a.localhost"}
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, headers=host)
    assert response.status_code == 302
    body = client.get("/", headers=host).content.decode()
    assert '<html lang="en">' in body
    assert "Our advisors" in body
    assert "Sign up" in body
    assert "Legal notice" in body
    assert "Unsere Berater" not in body


@pytest.mark.django_db
def test_english_amount_format(client: Client) -> None:
    from sprechzeit.accounts.tests.factories import partner_with_listing  # noqa: PLC0415

    platform = platform_create(slug="a")
    partner_with_listing(platform=platform, rate_minor=199)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"}, headers={"host": "a.localhost"})
    body = client.get("/", headers={"host": "a.localhost"}).content.decode()
    assert "€1.99 per minute" in body


@pytest.mark.django_db
def test_celery_heartbeat_runs_eagerly_without_broker() -> None:
    from django.core.cache import cache  # noqa: PLC0415

    from sprechzeit.config.celery import app  # noqa: PLC0415
    from sprechzeit.core.tasks import HEARTBEAT_KEY, heartbeat  # noqa: PLC0415

    assert app.conf.task_always_eager is True
    assert "heartbeat" in app.conf.beat_schedule
    # Every scheduled task name resolves to a registered task.
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks, entry["task"]
    stamp = heartbeat.delay().get()
    assert cache.get(HEARTBEAT_KEY) == stamp


def test_the_server_process_freezes_what_it_loaded_at_start() -> None:
    """A full garbage collection stops the event loop (and every cut-off): what the server
    process loaded at start is frozen out of its sight (`core.loopwatch`)."""
    import gc  # noqa: PLC0415

    import sprechzeit.config.asgi  # noqa: F401, PLC0415 - freezes on import
    from sprechzeit.core.loopwatch import startup_objects_freeze  # noqa: PLC0415

    frozen = gc.get_freeze_count()
    assert frozen > 50_000  # Django, the app and the URLconf
    assert startup_objects_freeze() >= frozen


def test_mail_tasks_go_to_the_mail_queue_and_money_tasks_do_not() -> None:
    """A wave of mails must not queue settlements behind it: every mail task is routed to
    `mail`, every other task (settlements above all) to `celery`, and a worker started
    without --queues consumes both."""
    from sprechzeit.config.celery import app  # noqa: PLC0415

    app.loader.import_default_modules()
    names = [name for name in app.tasks if name.startswith("sprechzeit.")]
    mails = {
        name for name in names if ".mails." in name or name.startswith("sprechzeit.notifications.")
    }
    assert "sprechzeit.consultations.mails.consultation_mails" in mails
    assert "sprechzeit.notifications.tasks.mail_deliver" in mails
    assert "sprechzeit.consultations.tasks.ends" in names
    for name in names:
        queue = app.amqp.router.route({}, name)["queue"]
        expected = "mail" if name in mails else "celery"
        # Own exchange and routing key: a mail is never delivered to the money queue too.
        assert (queue.name, queue.exchange.name, queue.routing_key) == (expected,) * 3, name
    assert {queue.name for queue in app.conf.task_queues} == {"celery", "mail"}


@pytest.mark.django_db(transaction=True)  # the auth middleware reads the session store
async def test_websocket_path_of_the_asgi_app() -> None:
    from sprechzeit.config.asgi import application  # noqa: PLC0415

    communicator = WebsocketCommunicator(
        application,
        "/ws/ping/",
        headers=[(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")],
    )
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data=json.dumps({"n": 1}))
    assert json.loads(await communicator.receive_from()) == {"type": "pong", "echo": {"n": 1}}
    await communicator.send_to(text_data="{not json")
    assert json.loads(await communicator.receive_from())["code"] == "malformed_json"
    await communicator.disconnect()


def test_import_linter_contract_holds() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


def test_german_messages_are_compiled() -> None:
    for lang in ("de", "en"):
        assert (ROOT / "src/sprechzeit/locale" / lang / "LC_MESSAGES/django.mo").exists()


@pytest.mark.django_db
def test_german_is_default_even_for_english_browsers(client: Client) -> None:
    platform_create(slug="a")
    body = client.get(
        "/", headers={"host": "a.localhost", "accept-language": "en-US,en;q=0.9"}
    ).content.decode()
    assert '<html lang="de">' in body
    assert "Unsere Berater" in body


@pytest.mark.django_db
def test_platform_default_locale_applies_until_a_choice_is_made(client: Client) -> None:
    platform_create(slug="intl", default_locale="en")
    host = {"host": "intl.localhost"}
    assert '<html lang="en">' in client.get("/", headers=host).content.decode()
    client.post("/i18n/setlang/", {"language": "de", "next": "/"}, headers=host)
    assert '<html lang="de">' in client.get("/", headers=host).content.decode()


@pytest.mark.django_db
def test_demo_partner_logs_in_with_documented_totp_secret(client: Client) -> None:
    import base64  # noqa: PLC0415

    from django_otp.oath import totp  # noqa: PLC0415

    from sprechzeit.demo.seed import DEMO_PASSWORD, DEMO_TOTP_SECRET, PARTNERS, demo_seed  # noqa: PLC0415

    demo_seed()
    host = {"host": "coaching.localhost"}
    response = client.post(
        "/anmelden/", {"email": PARTNERS[0].email, "password": DEMO_PASSWORD}, headers=host
    )
    assert response["Location"] == "/anmelden/code/"
    code = totp(base64.b32decode(DEMO_TOTP_SECRET))
    response = client.post("/anmelden/code/", {"token": f"{code:06d}"}, headers=host)
    assert response.status_code == 302
    assert "Abmelden" in client.get("/", headers=host).content.decode()
