"""The systemd units and the environment example in deploy/ stay in step with the code:
every option they pass exists in the installed uvicorn and Celery, and every variable
the example sets is one that config/env.py declares and accepts."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from sprechzeit.config.env import Env, Mode

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent


def exec_start(unit: str) -> list[str]:
    text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def help_text(*command: str) -> str:
    return subprocess.run(
        [str(BIN / command[0]), *command[1:], "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout


def options(argv: list[str]) -> list[str]:
    return [arg for arg in argv if arg.startswith("--")]


def test_the_web_unit_serves_the_asgi_application_with_real_uvicorn_options() -> None:
    argv = exec_start("sprechzeit-web.service")
    assert Path(argv[0]).name == "uvicorn"
    assert argv[1].replace(":", ".") == settings.ASGI_APPLICATION
    accepted = help_text("uvicorn")
    for option in options(argv):
        assert option in accepted, option


@pytest.mark.parametrize(
    ("unit", "command"),
    [
        ("sprechzeit-worker.service", "worker"),
        ("sprechzeit-mail.service", "worker"),
        ("sprechzeit-beat.service", "beat"),
    ],
)
def test_the_celery_units_use_the_project_app_and_real_options(unit: str, command: str) -> None:
    argv = exec_start(unit)
    assert Path(argv[0]).name == "celery"
    assert argv[1:4] == ["-A", "sprechzeit.config", command]
    accepted = help_text("celery", "-A", "sprechzeit.config", command)
    for option in options(argv):
        assert option in accepted, option


def test_the_environment_example_sets_only_declared_variables_and_loads() -> None:
    example = env_example()
    declared = set(
        re.findall(
            r'(?:environ\.get\(|_networks\(\s*environ,)\s*"([A-Z_]+)"',
            (ROOT / "src/sprechzeit/config/env.py").read_text(),
        )
    )
    assert set(example) <= declared, set(example) - declared
    env = Env.load(example)
    assert env.mode is Mode.PRODUCTION
    assert env.log_format == "json"
    assert env.prometheus_multiproc_dir == Path("/run/sprechzeit/metrics")
    tmpfiles = (DEPLOY / "systemd" / "sprechzeit.tmpfiles.conf").read_text(encoding="utf-8")
    assert f"d {env.prometheus_multiproc_dir} " in tmpfiles
    assert env.var_dir == Path("/srv/sprechzeit/var")
    for unit in (
        "sprechzeit-web.service",
        "sprechzeit-worker.service",
        "sprechzeit-mail.service",
        "sprechzeit-beat.service",
    ):
        text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")
        assert f"ReadWritePaths={env.var_dir} /run/sprechzeit" in text
        assert "EnvironmentFile=/etc/sprechzeit/env" in text


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT='xml' is not one of: json, text."),
        ({"METRICS_ALLOWED_IPS": "10.0.0.0/8,nonsense"}, "METRICS_ALLOWED_IPS="),
        ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN is shorter than 16 characters"),
        ({"CELERY_VISIBILITY_TIMEOUT": "0"}, "CELERY_VISIBILITY_TIMEOUT='0' is not a whole"),
    ],
)
def test_bad_operations_settings_stop_the_start_with_a_clear_message(
    variables: dict[str, str], message: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        Env.load({"SPRECHZEIT_MODE": "demo", **variables})


def test_operations_defaults_per_mode() -> None:
    production = Env.load({"SECRET_KEY": "x" * 50})
    assert production.log_format == "json"
    assert production.metrics_allowed_ips == ()
    assert production.metrics_token is None
    assert production.sentry_dsn is None
    demo = Env.load({"SPRECHZEIT_MODE": "demo"})
    assert demo.log_format == "text"
    assert [str(network) for network in demo.metrics_allowed_ips] == ["127.0.0.1/32", "::1/128"]
    assert demo.sentry_environment == "demo"
