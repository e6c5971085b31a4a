"""Consultation benchmark: N concurrent chat consultations over real WebSockets against
the production topology, each cut off by its balance.

    make bench-consultations           # or:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sprechzeit REDIS_URL=redis://127.0.0.1:6379/9 \
        python bench/consultations.py --ladder 500,1000,2000,4000 --paid-seconds 180

The server: `--workers` uvicorn processes (default 2) on the Redis channel layer,
`--booking-workers` Celery worker processes (default 1; 0 books in the server) for the
settlements (queue `celery`) and `--mail-workers` (default 1, at nice 10; 0: the booking
worker takes the mails too) for the mails (queue `mail`), as deploy/systemd runs them,
with persistent database connections. For every N of the ladder:

1. set up N partners (online, one listing each at 2.00 €/min billed per second) and N
   clients whose balance pays exactly `--paid-seconds` (default 180);
2. request all N consultations and connect the client's and the partner's socket of
   each to `/ws/consultations/<id>/` (one uvloop process; heartbeats every 10 s and no
   client pings, like a browser);
3. once every socket is in its room, a separate process accepts them through the
   services (`--accept-threads` at a time); each socket gets `started` and the
   server's timer cuts it off at the paid second;
4. lateness = when the client received `ended` − (its start + paid seconds); the peak
   of simultaneously live consultations is reported as `peak_live`.

Reported per N: p50/p99/max lateness, database commits per consultation (PostgreSQL's
`xact_commit` over request, accept, sockets and settlement; autocommit reads count too),
the server's CPU use, whether every consultation was billed exactly its paid seconds,
how long after the last cut-off every consultation was settled and both queues were
empty, and the server processes' event-loop hold-ups over 0.5 s (`core.loopwatch`). The largest N whose p99 stays under 1 s is `max_consultations_p99_under_1s`.
Results go to bench/results/consultations.json. The bench runs in its own scratch
database (`<name>_bench_consultations`), created afresh and dropped after.

Django is set up only once the scratch database exists (hence the PLC0415 waivers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import admin_sql, cpu_seconds, free_port, percentile, scratch_name, with_database
from sprechzeit.consultations.protocol import RoomCommand

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "consultations.json"
SERVER_LOG = Path(tempfile.gettempdir()) / "sprechzeit-bench-consultations-server.log"
STALL = re.compile(r"held up ([0-9.]+) s \(garbage collection: ([0-9.]+) s")
BENCH_HOST = "127.0.0.1"
RATE_MINOR = 200
_HEARTBEAT: RoomCommand = {"type": "heartbeat"}
# The browser's heartbeat frame (`consultations.protocol`), encoded once.
HEARTBEAT = json.dumps(_HEARTBEAT)


def commits(dbname: str) -> int:
    from django.db import connection  # noqa: PLC0415

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [dbname])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def setup(n: int, rung: int, paid_seconds: int) -> list[tuple[Any, str]]:
    """N online partners with a listing and N clients funded for `paid_seconds`."""
    from django.conf import settings  # noqa: PLC0415
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: PLC0415
    from django.contrib.sessions.backends.db import SessionStore  # noqa: PLC0415

    from sprechzeit.accounts.services import client_register, listing_create, partner_create  # noqa: PLC0415
    from sprechzeit.accounts.sessions import SESSION_HOST_KEY  # noqa: PLC0415
    from sprechzeit.consultations.services import presence_set  # noqa: PLC0415
    from sprechzeit.consultations.tariff import Tariff, tariff_max_seconds, tariff_rate  # noqa: PLC0415
    from sprechzeit.core.money import Money  # noqa: PLC0415
    from sprechzeit.ledger.models import AccountPurpose  # noqa: PLC0415
    from sprechzeit.platforms.models import LegalEntity, Platform, PlatformDomain  # noqa: PLC0415
    from sprechzeit.wallets import services as wallets  # noqa: PLC0415

    tariff = Tariff(rate_minor=RATE_MINOR)
    balance = tariff_rate(seconds=paid_seconds, tariff=tariff)
    assert tariff_max_seconds(amount=balance, tariff=tariff) == paid_seconds
    entity = LegalEntity.objects.create(
        name="Bench GmbH", street="Weg 1", postal_code="10115", city="Berlin", email="b@example.com"
    )
    platform = Platform.objects.create(
        name=f"Bench {rung}",
        slug=f"bench{rung}",
        contact_email="b@example.com",
        legal_entity=entity,
    )
    # The sockets come in on 127.0.0.1: this rung's platform's own host (accounts.access
    # counts clients only on their platform's host; the server's NETWORK_HOSTS leave it out).
    PlatformDomain.objects.filter(host=BENCH_HOST).delete()
    PlatformDomain.objects.create(platform=platform, host=BENCH_HOST, is_primary=True)
    from sprechzeit.consultations.models import PlatformTariffPolicy  # noqa: PLC0415

    PlatformTariffPolicy.objects.create(platform=platform, request_timeout_seconds=3600)
    source = wallets.platform_account(platform=platform, purpose=AccountPurpose.PROVIDER_CLEARING)
    backend = settings.AUTHENTICATION_BACKENDS[0]
    scenes = []
    import uuid  # noqa: PLC0415

    for i in range(n):
        partner = partner_create(
            email=f"p{rung}-{i}@example.com", password=None, first_name="P", last_name=str(i)
        )
        listing = listing_create(
            partner=partner, platform=platform, display_name=f"P {i}", rate_minor=RATE_MINOR
        )
        presence_set(partner=partner, status="online")
        client = client_register(platform=platform, email=f"c{rung}-{i}@example.com", password=None)
        wallets.wallet_credit(
            client_account=client,
            amount=Money(balance.minor),
            source=source,
            id=uuid.uuid4(),
            reference="bench",
        )
        cookies = []
        for user in (client.user, partner.user):
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = backend
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            # As a login would: partner sessions count only on their login's host.
            session[SESSION_HOST_KEY] = BENCH_HOST
            session.create()
            cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
        scenes.append(((client, listing), "\t".join(cookies)))
    return scenes


def request_all(scenes: list[tuple[Any, str]]) -> list[tuple[str, str, Any, Any]]:
    from sprechzeit.consultations.services import consultation_request  # noqa: PLC0415

    requested = []
    for (client, listing), cookie in scenes:
        consultation = consultation_request(client=client, listing=listing)
        requested.append((str(consultation.pk), cookie, consultation, listing.partner))
    return requested


def accept_all(ids: list[str], threads: int) -> None:
    """The partners accept (through the services, `threads` at a time). Runs in its own
    process (`accept_in_process`), so its database work does not share the measuring
    event loop's interpreter lock."""
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    import django  # noqa: PLC0415

    django.setup()
    from django.db import connection  # noqa: PLC0415

    from sprechzeit.consultations.models import Consultation  # noqa: PLC0415
    from sprechzeit.consultations.services import consultation_accept  # noqa: PLC0415

    def accept(consultation_id: str) -> None:
        try:
            consultation = Consultation.objects.select_related("partner").get(pk=consultation_id)
            consultation_accept(consultation=consultation, partner=consultation.partner)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(accept, ids))


def accept_in_process(ids: list[str], threads: int) -> None:
    import multiprocessing  # noqa: PLC0415

    process = multiprocessing.get_context("spawn").Process(target=accept_all, args=(ids, threads))
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"the accepting process failed ({process.exitcode})")


async def run_sockets(
    port: int, requested: list[tuple[str, str, Any, Any]], accept: Any, timeout: float
) -> tuple[list[float], list[tuple[float, float]], dict[str, float]]:
    from websockets.asyncio.client import connect  # noqa: PLC0415

    lateness: list[float] = []
    intervals: list[tuple[float, float]] = []
    started_lag: list[float] = []
    started_missed: list[str] = []
    phases: dict[str, float] = {"sockets_opened": time.time()}
    gate = asyncio.Semaphore(100)
    ready = 0
    all_ready = asyncio.Event()

    async def room(consultation_id: str, cookie: str, *, measure: bool) -> None:
        """One side's socket in the room, heartbeating like the browser until `ended`;
        the client's side (`measure`) records when `started` and `ended` arrive."""
        nonlocal ready
        async with gate:
            ws = await connect(
                f"ws://127.0.0.1:{port}/ws/consultations/{consultation_id}/",
                additional_headers={"Cookie": cookie},
                open_timeout=120,
                max_queue=None,
                # Like a browser: answers the server's pings, sends none of its own.
                ping_interval=None,
            )
            await ws.recv()  # hello
        ready += 1
        if ready == 2 * len(requested):  # every socket is in its room
            all_ready.set()
        due = 0.0

        async def beat() -> None:
            # Like the browser: a heartbeat every 10 s keeps the seconds confirmed.
            while True:
                await asyncio.sleep(10)
                await ws.send(HEARTBEAT)

        beating = asyncio.ensure_future(beat())
        try:
            async with asyncio.timeout(timeout):
                async for raw in ws:
                    message = json.loads(raw)
                    if message["type"] == "ended":
                        if measure:
                            now = time.time()
                            if message["state"]["reason"] != "balance":
                                raise AssertionError(f"{consultation_id} ended: {message['state']}")
                            if not due:
                                # `started` never reached this socket (the channel layer
                                # dropped it): no start to measure from; counted apart.
                                started_missed.append(consultation_id)
                                return
                            lateness.append(now - due)
                            intervals.append((due - message["state"]["duration_seconds"], now))
                        return
                    if measure and message["type"] == "started":
                        state = message["state"]
                        start = datetime.fromisoformat(state["started_at"]).timestamp()
                        due = start + state["paid_seconds"]
                        started_lag.append(time.time() - start)
        finally:
            beating.cancel()
            await ws.close()

    generator_lag: list[float] = []

    async def probe() -> None:
        # The load generator's own event-loop lag: a late `ended` it reports may be its
        # own (one process holds every socket), not the server's.
        await all_ready.wait()
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.1)
            generator_lag.append(time.monotonic() - before - 0.1)

    async def accepting() -> None:
        await all_ready.wait()
        phases["accept_from"] = time.time()
        await asyncio.to_thread(accept)
        phases["accept_to"] = time.time()

    probing = asyncio.ensure_future(probe())
    await asyncio.gather(
        accepting(),
        *(room(item[0], item[1].split("\t")[0], measure=True) for item in requested),
        *(room(item[0], item[1].split("\t")[1], measure=False) for item in requested),
    )
    probing.cancel()
    stats = {
        "generator_lag_p99_s": round(percentile(generator_lag or [0.0], 0.99), 4),
        "generator_lag_max_s": round(max(generator_lag, default=0.0), 4),
        "connect_s": round(phases["accept_from"] - phases["sockets_opened"], 1),
        "accept_s": round(phases["accept_to"] - phases["accept_from"], 1),
        "started_lag_p50_s": round(percentile(started_lag, 0.5), 4),
        "started_lag_p99_s": round(percentile(started_lag, 0.99), 4),
        # Clients whose socket heard `ended` but never `started` (not in the lateness).
        "started_missed": len(started_missed),
    }
    return lateness, intervals, stats


def _run(coroutine: Any) -> Any:
    """The measuring side's event loop: uvloop when installed (it comes with uvicorn's
    standard extras), so the client side is not the slower end."""
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def peak(intervals: list[tuple[float, float]]) -> int:
    edges = sorted(
        [(start, 1) for start, _end in intervals] + [(end, -1) for _start, end in intervals]
    )
    live = best = 0
    for _moment, step in edges:
        live += step
        best = max(best, live)
    return best


def celery_worker(
    concurrency: int, *, queues: str, env: dict[str, str], nice: int = 0
) -> subprocess.Popen[bytes]:
    """A Celery worker process for `queues`, as deploy/systemd starts it (`nice` as its
    unit's Nice=)."""
    return subprocess.Popen(
        [
            *(["nice", "-n", str(nice)] if nice else []),
            sys.executable,
            "-m",
            "celery",
            "-A",
            "sprechzeit.config.celery",
            "worker",
            "--queues",
            queues,
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
    )


def queued(queue: str) -> int:
    """Tasks waiting in a queue of the broker (Redis list of the queue's name)."""
    import redis  # noqa: PLC0415

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        return int(client.llen(queue))
    finally:
        client.close()


def server_warnings(offset: int) -> dict[str, Any]:
    """What the server logged since `offset`: cut-offs logged late (> 1 s) and event-loop
    hold-ups over 0.5 s (`core.loopwatch`: per process, with the garbage collector's
    share)."""
    with SERVER_LOG.open("rb") as log:
        log.seek(offset)
        lines = log.read().decode(errors="replace").splitlines()
    stalls = [
        (float(found[1]), float(found[2]))
        for line in lines
        if (found := STALL.search(line)) is not None
    ]
    return {
        "cut_offs_logged_late": sum("late by" in line for line in lines),
        # A timer that raised (e.g. the channel layer's Redis unreachable in time); the
        # reaper ends what it left behind.
        "meters_failed": sum(
            "meter of consultation" in line and line.endswith("failed") for line in lines
        ),
        "loop_stalls_over_0_5s": len(stalls),
        "loop_stall_max_s": max((lag for lag, _gc in stalls), default=0.0),
        "loop_stall_total_s": round(sum(lag for lag, _gc in stalls), 2),
        "loop_stall_gc_total_s": round(sum(gc for _lag, gc in stalls), 2),
    }


class RungAbortedError(Exception):
    """A rung that could not finish (the load generator's sockets closed, a service
    failed); `result` is what was measured until then."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(result["aborted"])
        self.result = result


def run_rung(
    n: int, rung: int, args: argparse.Namespace, port: int, server_pids: list[int], dbname: str
) -> dict[str, Any]:
    from sprechzeit.consultations.models import Consultation  # noqa: PLC0415
    from sprechzeit.ledger.check import ledger_check  # noqa: PLC0415

    load_before = [round(x, 2) for x in os.getloadavg()]
    log_from = SERVER_LOG.stat().st_size
    t = time.time()
    scenes = setup(n, rung, args.paid_seconds)
    setup_s = time.time() - t
    before = commits(dbname)
    requested = request_all(scenes)
    cpu_before = sum(cpu_seconds(pid) for pid in server_pids)
    wall_before = time.time()
    try:
        lateness, intervals, phase_stats = _run(
            run_sockets(
                port,
                requested,
                lambda: accept_in_process([item[0] for item in requested], args.accept_threads),
                timeout=args.paid_seconds + n + 120,
            )
        )
    except Exception as exc:
        # An aborted rung still leaves what the server saw until then, for the record.
        aborted = {
            "consultations": n,
            "aborted": f"{type(exc).__name__}: {exc}"[:300],
            "aborted_after_s": round(time.time() - wall_before, 1),
            "setup_s": round(setup_s, 1),
            **server_warnings(log_from),
            "ledger_check_ok": ledger_check().ok,
            "loadavg_before": load_before,
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        }
        print(json.dumps(aborted))
        raise RungAbortedError(aborted) from exc
    wall = time.time() - wall_before
    cpu = sum(cpu_seconds(pid) for pid in server_pids) - cpu_before
    ids = [item[0] for item in requested]
    deadline = time.time() + 120
    while time.time() < deadline:
        settled = Consultation.objects.filter(pk__in=ids, status="settled")
        if settled.count() == n:
            break
        time.sleep(1)
    settle_lag_s = time.time() - wall_before - wall
    time.sleep(1.0)  # statistics are flushed asynchronously
    after = commits(dbname)
    # The mails (summary, low balance) follow on their own queue; the next rung starts
    # only once they are out, so it does not pay for this one's.
    deadline = time.time() + args.drain_seconds
    while (waiting := queued("mail") + queued("celery")) and time.time() < deadline:
        time.sleep(1)
    mail_lag_s = time.time() - wall_before - wall
    exact = settled.filter(duration_seconds=args.paid_seconds).count()
    result = {
        "consultations": n,
        "ended": len(lateness),
        "settled": settled.count(),
        "billed_exactly_paid": exact == n,
        "peak_live": peak(intervals),
        # False: the accepts took longer than the paid seconds, so the first ones were
        # cut off before the last began (raise --paid-seconds for N at once).
        "all_live_at_once": peak(intervals) == n,
        "settlement_lag_after_last_end_s": round(settle_lag_s, 1),
        # None: still `tasks_left_queued` after --drain-seconds.
        "queues_empty_after_last_end_s": None if waiting else round(mail_lag_s, 1),
        "tasks_left_queued": waiting,
        "p50_lateness_s": round(percentile(lateness, 0.50), 4),
        "p99_lateness_s": round(percentile(lateness, 0.99), 4),
        "max_lateness_s": round(max(lateness), 4),
        "mean_lateness_s": round(statistics.fmean(lateness), 4),
        "commits_per_consultation": round((after - before) / n, 2),
        "server_cpu_s": round(cpu, 2),
        "server_cpu_share_of_one_core": round(cpu / wall, 3),
        "setup_s": round(setup_s, 1),
        # Sockets open and in their rooms; all accepted; `started` heard after the accept.
        **phase_stats,
        **server_warnings(log_from),
        "ledger_check_ok": ledger_check().ok,
        # The machine may be shared: its load when the rung began and ended.
        "loadavg_before": load_before,
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ladder", default="500,1000,2000,4000", help="comma-separated N values")
    parser.add_argument("--paid-seconds", type=int, default=180)
    parser.add_argument("--accept-threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--booking-workers",
        type=int,
        default=2,
        help="Celery worker processes for the settlements, at nice 5 as deployed "
        "(0: book in the server)",
    )
    parser.add_argument(
        "--mail-workers",
        type=int,
        default=1,
        help="Celery worker processes for the mail queue, at nice 10 as deployed "
        "(0: the booking workers take the mails too, as before the queues were split)",
    )
    parser.add_argument(
        "--drain-seconds",
        type=int,
        default=900,
        help="after a rung, wait at most this long for the mail and money queues to empty",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sprechzeit")
    # No query parameters: the Celery worker's client (kombu) refuses them; the channel
    # layer's socket timeout (above channels_redis' 5 s blocking receive) is in settings.
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    dbname = scratch_name(base, "_bench_consultations")
    url = with_database(base, dbname)
    admin_sql(base, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    admin_sql(base, f'CREATE DATABASE "{dbname}"')
    # The server as in production: persistent database connections.
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "SPRECHZEIT_MODE": "test",
        "DB_CONN_MAX_AGE": "60",
        "NETWORK_HOSTS": "testserver",  # 127.0.0.1 is the bench platform's host
    }
    os.environ.update({"DATABASE_URL": url, "REDIS_URL": redis_url, "SPRECHZEIT_MODE": "test"})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sprechzeit.config.settings")
    import django  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415

    django.setup()
    call_command("migrate", verbosity=0)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "sprechzeit.config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--backlog",
            "4096",
            "--workers",
            str(args.workers),
            # Meter messages are a few dozen bytes: compressing them costs CPU, saves nothing.
            "--ws-per-message-deflate",
            "false",
        ],
        env=env,
        # Its warnings (late cut-offs, event-loop hold-ups) are counted per rung.
        stderr=SERVER_LOG.open("wb"),
    )
    # The production topology (deploy/systemd): settlements on a Celery worker for the
    # `celery` queue, mails on one for the `mail` queue at a lower CPU priority.
    split = args.mail_workers > 0
    worker = (
        celery_worker(
            args.booking_workers, queues="celery" if split else "celery,mail", env=env, nice=5
        )
        if args.booking_workers
        else None
    )
    mailer = celery_worker(args.mail_workers, queues="mail", env=env, nice=10) if split else None
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        pids = [server.pid, *(process.pid for process in (worker, mailer) if process)]
        runs: list[dict[str, Any]] = []
        try:
            for rung, n in enumerate(args.ladder.split(",")):
                runs.append(run_rung(int(n), rung, args, port, pids, dbname))
        except RungAbortedError as exc:
            runs.append(exc.result)  # written below, then the benchmark fails
    finally:
        server.terminate()
        server.wait(timeout=20)
        for process in (worker, mailer):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
        from django.db import connections  # noqa: PLC0415

        connections.close_all()
        if not args.keep:
            admin_sql(base, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    from sprechzeit.consultations.realtime.booking import BURST_WINDOW_SECONDS  # noqa: PLC0415

    finished = [run for run in runs if "aborted" not in run]
    passing = [run["consultations"] for run in finished if run["p99_lateness_s"] < 1.0]
    largest = runs[-1]
    summary = {
        "consultations": largest["consultations"],
        # None for a rung that was aborted (its `aborted` says why).
        "p50_lateness_s": largest.get("p50_lateness_s"),
        "p99_lateness_s": largest.get("p99_lateness_s"),
        "commits_per_consultation": largest.get("commits_per_consultation"),
        "max_consultations_p99_under_1s": max(passing) if passing else 0,
        "paid_seconds": args.paid_seconds,
        "cpus": os.cpu_count(),
        "channel_layer": "redis",
        "server": f"uvicorn, {args.workers} worker process(es)",
        "booking_workers": args.booking_workers,
        "mail_workers": args.mail_workers,
        "server_log": str(SERVER_LOG),
        "settlement": f"ends of a {BURST_WINDOW_SECONDS} s window booked as one burst (tasks.ends)",
        "runs": runs,
        "measured_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"written {RESULTS}")
    if len(finished) < len(runs):
        raise SystemExit(
            f"the rung of {largest['consultations']} was aborted: {largest['aborted']}"
        )


if __name__ == "__main__":
    main()
