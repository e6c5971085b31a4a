from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from sprechzeit.demo.seed import DEMO_TOTP_KEY_HEX


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo logins (partners and staff); demo mode only."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SPRECHZEIT_MODE == "production":
            raise CommandError("democode exists for the demo only.")
        code = totp(bytes.fromhex(DEMO_TOTP_KEY_HEX))
        self.stdout.write(f"{code:06d}")
