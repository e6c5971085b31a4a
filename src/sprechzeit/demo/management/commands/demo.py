from __future__ import annotations

from argparse import ArgumentParser
from typing import Any, Final

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from sprechzeit.accounts.models import Partner
from sprechzeit.demo.history import demo_history
from sprechzeit.demo.seed import (
    CLIENT_EMAIL,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    PARTNERS,
    STAFF,
    demo_seed,
)

# The app reads X-Forwarded-For itself, and only from TRUSTED_PROXIES (core/net.py);
# uvicorn's own rewriting (on by default) would believe any header sent from 127.0.0.1.
UVICORN_OPTIONS: Final[dict[str, Any]] = {"proxy_headers": False}


class Command(BaseCommand):
    help = "Create or upgrade the embedded database, seed the demo platforms and serve them."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Start afresh: delete all data first."
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="Seed only; do not start the server."
        )
        parser.add_argument(
            "--no-history", action="store_true", help="Skip the simulated weeks of history."
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SPRECHZEIT_MODE == "production":
            raise CommandError(
                "`sprechzeit demo` does not run in production mode (SPRECHZEIT_MODE=production)."
            )
        call_command("migrate", interactive=False, verbosity=0)
        if options["reset"]:
            call_command("flush", interactive=False, verbosity=0)
            call_command("migrate", interactive=False, verbosity=0)
        summary = demo_seed()
        if not options["no_history"]:
            self.stdout.write("Creating a few weeks of demo history (first run only) …")
            history = demo_history(
                partners=list(
                    Partner.objects.filter(user__email__endswith="@demo.sprechzeit.de").order_by(
                        "pk"
                    )
                )
            )
            if history.consultations:
                self.stdout.write(
                    f"  {history.consultations} consultations, {history.top_ups} top-ups, "
                    f"{history.ratings} ratings; statements closed for {history.statements_period}."
                )
        port = options["port"]
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo ready ({summary.created} new records)."))
        out.write(f"  Network overview:   http://127.0.0.1:{port}/")
        for platform in summary.platforms:
            out.write(f"  {platform.name + ':':<19}http://{platform.slug}.localhost:{port}/")
        out.write(f"  Admin:              http://127.0.0.1:{port}/admin/")
        out.write(f"Logins (password for all: {DEMO_PASSWORD}):")
        out.write(f"  client (both platforms): {CLIENT_EMAIL}")
        out.write(f"  partner:                 {PARTNERS[1].email} (and the others in the README)")
        for email, role in STAFF:
            out.write(f"  staff {role + ':':<18}{email}")
        out.write(
            f"Partners and staff log in with a second factor: add the TOTP secret {DEMO_TOTP_SECRET} "
            "to an authenticator app, or run `sprechzeit democode` for the current code."
        )
        if options["no_serve"]:
            return
        import uvicorn  # noqa: PLC0415 - only needed when serving

        uvicorn.run(
            "sprechzeit.config.asgi:application",
            host=options["host"],
            port=port,
            log_level="info",
            **UVICORN_OPTIONS,
        )
