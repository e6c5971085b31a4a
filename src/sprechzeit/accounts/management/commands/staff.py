"""`sprechzeit staff invite <email>`: a one-time link to enrol a staff member's authenticator.

Staff cannot enrol a second factor by logging in with the password (a leaked or initial
password must not yield a back-office login); this command is how they get one, and how
a lost phone is replaced (the old authenticator stops working once the link is used).
The link is mailed to the staff member and printed; it works once, on a network host,
for `accounts.enrolment.INVITATION_VALID_FOR`.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from sprechzeit.accounts.enrolment import INVITATION_VALID_FOR, staff_invite
from sprechzeit.accounts.errors import NotStaff
from sprechzeit.accounts.models import User


def _default_base_url() -> str:
    if settings.SPRECHZEIT_MODE == "production":
        return f"https://{settings.SPRECHZEIT_NETWORK_HOSTS[0]}"
    return "http://127.0.0.1:8000"  # the demo server's address


class Command(BaseCommand):
    help = "Staff tools: invite (a one-time link to enrol the authenticator)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        invite = sub.add_parser("invite", help="Mail (and print) a one-time enrolment link.")
        invite.add_argument("email", help="the staff member's login e-mail")
        invite.add_argument(
            "--base-url",
            default=None,
            help="the network host's address, e.g. https://verwaltung.example.com "
            "(default: https:// + the first NETWORK_HOSTS entry; the demo's address outside production)",
        )
        invite.add_argument("--no-mail", action="store_true", help="only print the link")

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip()
        user = User.objects.filter(email__iexact=email, platform__isnull=True).first()
        if user is None:
            raise CommandError(f"No staff login with the e-mail {email!r}.")
        try:
            token = staff_invite(user=user)
        except NotStaff as exc:
            raise CommandError(f"{email} is not an active staff login: {exc.message}") from exc
        base = (options["base_url"] or _default_base_url()).rstrip("/")
        link = base + reverse("site:staff_invitation", args=[token])
        if not options["no_mail"]:
            hours = int(INVITATION_VALID_FOR.total_seconds() // 3600)
            with translation.override(user.language):
                subject = render_to_string(
                    "accounts/email/staff_invitation_subject.txt", {"user": user}
                ).strip()
                body = render_to_string(
                    "accounts/email/staff_invitation.txt",
                    {"user": user, "link": link, "hours": hours},
                )
            send_mail(subject=subject, message=body, from_email=None, recipient_list=[user.email])
            self.stdout.write(f"Invitation mailed to {user.email}.")
        self.stdout.write(link)
