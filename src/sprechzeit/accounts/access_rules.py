"""The vocabulary of the access table (`accounts.access`): who acts (`Actor`), on which
kind of host (`Host`), and a `Rule` with its builders. The table itself, and every
lookup in it, is `accounts.access`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sprechzeit.accounts import roles


class Actor(StrEnum):
    ANONYMOUS = "anonymous"
    CLIENT = "client"  # a client of the platform whose host it is (others count as anonymous)
    PARTNER = "partner"
    SUPPORT = roles.SUPPORT
    RISK = roles.RISK
    ACCOUNTING = roles.ACCOUNTING
    ADMIN = roles.ADMIN
    SUPERUSER = "superuser"


class Host(StrEnum):
    PLATFORM = "platform"  # a platform's own domain
    NETWORK = "network"  # the network's hosts: back office, partner log-in


type Actors = frozenset[Actor]

NOBODY: Final[Actors] = frozenset()
EVERYONE: Final[Actors] = frozenset(Actor)
CLIENT: Final[Actors] = frozenset({Actor.CLIENT})
PARTNER: Final[Actors] = frozenset({Actor.PARTNER})
STAFF: Final[Actors] = frozenset(
    {Actor.SUPPORT, Actor.RISK, Actor.ACCOUNTING, Actor.ADMIN, Actor.SUPERUSER}
)
SUPERUSER: Final[Actors] = frozenset({Actor.SUPERUSER})


@dataclass(frozen=True)
class Rule:
    """Who may use a URL: `platform` on a platform's host, `network` on the network's.

    `owned`: the URL names one object (a consultation, payment, listing, document) that
    belongs to one client or partner; any other client or partner gets a 404 from the view.
    """

    what: str
    platform: Actors = NOBODY
    network: Actors = NOBODY
    owned: bool = False

    def allows(self, actors: Iterable[Actor], host: Host) -> bool:
        allowed = self.platform if host is Host.PLATFORM else self.network
        return Actor.ANONYMOUS in allowed or any(actor in allowed for actor in actors)


def public(what: str, *, network: bool = False) -> Rule:
    """Anyone, on a platform's host (and on the network's, if `network`)."""
    return Rule(what, platform=EVERYONE, network=EVERYONE if network else NOBODY)


def clients(what: str, *, owned: bool = False) -> Rule:
    return Rule(what, platform=CLIENT, owned=owned)


def partners(what: str, *, owned: bool = False) -> Rule:
    return Rule(what, platform=PARTNER, network=PARTNER, owned=owned)


def back_office(what: str, actors: Actors) -> Rule:
    return Rule(what, network=actors | SUPERUSER)
