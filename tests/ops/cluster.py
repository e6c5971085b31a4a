"""A production-shaped cluster on loopback for failover tests: N uvicorn nodes in production
mode on the Redis channel layer, the shipped nginx configuration in front of them, and a
Celery worker, all against the PostgreSQL test database of the running test.

    with Cluster.start(tmp_path, database_url=..., nodes=2) as cluster:
        cluster.https("GET", "/healthz")
        cluster.kill_node(0)              # SIGKILL, as a crashed machine

Every process runs in its own process group and is killed with its children on exit;
nothing is left running after the block, whatever the test did. Redis: the database in
OPS_TEST_REDIS_URL (default redis://127.0.0.1:6379/12); nothing is flushed.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tests.ops import nginx as ngx

REDIS_URL = os.environ.get("OPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")
BIN = Path(sys.executable).parent
# Bounds for processes to come up; generous for a 2-core machine shared by several runs.
START_TIMEOUT = 90.0


def _stop(process: subprocess.Popen[bytes], *, timeout: float = 30.0) -> None:
    """SIGTERM to the process group, SIGKILL if it lingers; reaped either way."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
        except ProcessLookupError:
            process.wait(timeout=timeout)


@dataclass
class Node:
    index: int
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def get(self, path: str, *, timeout: float = 10.0) -> tuple[int, bytes]:
        """A request straight to the node (as a load balancer's probe or Prometheus)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


@dataclass
class Cluster:
    folder: Path
    environment: dict[str, str]
    site: ngx.Site
    nodes: list[Node]
    nginx: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes] | None
    tls: ssl.SSLContext
    _logs: list[IO[bytes]] = field(default_factory=list)
    _more: ExitStack = field(default_factory=ExitStack)

    @classmethod
    @contextmanager
    def start(
        cls,
        folder: Path,
        *,
        database_url: str,
        nodes: int = 2,
        worker: bool = True,
        redis_url: str = REDIS_URL,
        extra_environment: dict[str, str] | None = None,
    ) -> Iterator[Cluster]:
        nginx_binary = ngx.nginx_binary()
        ports = [ngx.free_port() for _ in range(nodes)]
        environment = node_environment(folder, database_url=database_url, redis_url=redis_url)
        environment.update(extra_environment or {})
        site_folder = folder / "nginx"
        site_folder.mkdir()
        site = ngx.site(site_folder, nodes=[f"127.0.0.1:{port}" for port in ports])
        with ExitStack() as stack:
            logs: list[IO[bytes]] = []
            stack.callback(lambda: [log.close() for log in logs])
            started: list[Node] = []
            for index, port in enumerate(ports):
                log_path = folder / f"node-{index}.log"
                log = log_path.open("wb")
                logs.append(log)
                process = subprocess.Popen(
                    [
                        str(BIN / "uvicorn"), "sprechzeit.config.asgi:application",
                        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                        "--no-proxy-headers", "--no-access-log",
                        "--ws-per-message-deflate", "false",
                    ],
                    env={**environment, "PROMETHEUS_MULTIPROC_DIR": str(folder / f"metrics-{index}")},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
                stack.callback(_stop, process)
                started.append(Node(index=index, port=port, process=process, log=log_path))
            celery: subprocess.Popen[bytes] | None = None
            if worker:
                celery = worker_start(folder, environment, logs)
                stack.callback(_stop, celery)
            for node in started:
                wait_until(
                    lambda node=node: _answers(node),
                    what=f"node {node.index} to answer /healthz (log: {node.log})",
                )
            nginx = stack.enter_context(ngx.running(nginx_binary, site))
            more = stack.enter_context(ExitStack())
            yield cls(
                folder=folder,
                environment=environment,
                site=site,
                nodes=started,
                nginx=nginx,
                worker=celery,
                tls=ssl.create_default_context(cafile=str(site.certificate)),
                _logs=logs,
                _more=more,
            )

    def https(
        self, method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """A request through nginx, as a browser would send it."""
        connection = http.client.HTTPSConnection(
            "localhost", self.site.https_port, context=self.tls, timeout=30
        )
        try:
            connection.request(method, path, body=body or None, headers=headers or {})
            response = connection.getresponse()
            return (
                response.status,
                {key.lower(): value for key, value in response.getheaders()},
                response.read(),
            )
        finally:
            connection.close()

    def https_json(self, path: str) -> tuple[int, Any]:
        status, _headers, body = self.https("GET", path)
        return status, json.loads(body)

    def worker_restart(self, *, pool: str = "solo") -> subprocess.Popen[bytes]:
        """A new Celery worker (after `kill_worker`, or for a cluster started without
        one), stopped with the cluster."""
        self.worker = worker_start(self.folder, self.environment, self._logs, pool=pool)
        self._more.callback(_stop, self.worker)
        return self.worker

    def kill_worker(self) -> None:
        """SIGKILL the Celery worker's process group: no clean shutdown, no ack."""
        assert self.worker is not None
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=30)

    def kill_node(self, index: int, sig: signal.Signals = signal.SIGKILL) -> None:
        """Kill a node's whole process group at once (SIGKILL: no clean shutdown)."""
        process = self.nodes[index].process
        os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def node_stacks(self, index: int) -> str:
        """What a living node is doing: the stacks of its threads and of its asyncio tasks
        (`core.stackdump`, SIGUSR1 and SIGUSR2), as it wrote them to its log."""
        node = self.nodes[index]
        if node.process.poll() is not None:
            return f"node {index} has exited"
        before = node.log.stat().st_size
        node.process.send_signal(signal.SIGUSR1)
        time.sleep(0.5)
        node.process.send_signal(signal.SIGUSR2)
        time.sleep(1.5)
        with node.log.open("rb") as log:
            log.seek(before)
            return f"--- stacks of node {index}\n" + log.read().decode(errors="replace")

    def log_tails(self, lines: int = 15) -> str:
        """The last lines of every node's, the worker's and nginx's error log, and which
        node processes still run: for the message of a failed assertion (the test's
        folder is gone after CI)."""
        parts = [
            f"node {index} ({'running' if node.process.poll() is None else 'exited'})"
            for index, node in enumerate(self.nodes)
        ]
        for path in [*sorted(self.folder.glob("*.log")), self.site.error_log]:
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path.name}\n" + "\n".join(line[:300] for line in tail))
        return "\n".join(parts)

    def log_mark(self) -> int:
        """How many requests nginx has logged so far: pass it to `served_by`."""
        return len(ngx.access_entries(self.site))

    def served_by(self, count: int, *, since: int) -> list[list[str]]:
        """For the `count` proxied requests after `since`: the nodes nginx tried, in order."""
        entries = ngx.access_entries(self.site, at_least=since + count)
        assert len(entries) >= since + count, f"nginx logged {len(entries) - since} of {count}"
        return [ngx.upstreams_of(entry) for entry in entries[since : since + count]]


def worker_start(
    folder: Path, environment: dict[str, str], logs: list[IO[bytes]], *, pool: str = "solo"
) -> subprocess.Popen[bytes]:
    """A Celery worker: solo pool (one process: SIGKILL takes the task with it), or
    prefork with one pool process (as production runs it, with one process fewer)."""
    log = (folder / "worker.log").open("ab")
    logs.append(log)
    return subprocess.Popen(
        [
            str(BIN / "celery"), "-A", "sprechzeit.config", "worker",
            "--pool", pool, "--concurrency", "1", "--loglevel", "INFO", "--without-gossip",
            "--without-mingle", "--hostname", f"ops-test-{secrets.token_hex(4)}@%h",
        ],
        env={**environment, "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics-worker")},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def node_environment(
    folder: Path, *, database_url: str, redis_url: str = REDIS_URL
) -> dict[str, str]:
    """A production environment on loopback: real secrets made up, JSON logs, metrics per
    node, Redis for channel layer, cache and broker."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "SENTRY_")) and key != "DJANGO_SETTINGS_MODULE"
    }
    var = folder / "var"
    var.mkdir(exist_ok=True)
    environment.update(
        {
            "SPRECHZEIT_MODE": "production",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "VAR_DIR": str(var),
            "LOG_FORMAT": "json",
            "METRICS_ALLOWED_IPS": "127.0.0.1/32",
            "TRUSTED_PROXIES": "127.0.0.1/32",
            "EMAIL_BACKEND": "file",
        }
    )
    return environment


def _answers(node: Node) -> bool:
    if node.process.poll() is not None:
        raise RuntimeError(
            f"node {node.index} exited with {node.process.returncode}; see {node.log}"
        )
    try:
        return node.get("/healthz", timeout=2)[0] == 200
    except OSError:
        return False


def wait_until(condition: Any, *, what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise TimeoutError(f"waited {timeout} s for {what}")
