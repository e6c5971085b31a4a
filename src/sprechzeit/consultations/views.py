"""Pages of consultations: start, the room (chat + live meter), ratings, itemized
records with CSV, the partner's request page and online switch, and the availability
feed for directory pages. Thin edges: parse, call one service or selector, render."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sprechzeit.accounts.models import ClientAccount, Listing, Partner
from sprechzeit.consultations import records, services
from sprechzeit.consultations.consumption import consumption_for_client
from sprechzeit.consultations.errors import ConsultationError
from sprechzeit.consultations.models import Consultation, PartnerPresence
from sprechzeit.consultations.offer import consultation_offer
from sprechzeit.consultations.selectors import (
    consultation_for_user,
    listings_availability,
    partner_availability,
    transcript,
)
from sprechzeit.core import clock
from sprechzeit.core.http import back_on_domain_error
from sprechzeit.core.inputs import ids_parse
from sprechzeit.core.net import client_address
from sprechzeit.legal.selectors import withdrawal_waiver_given
from sprechzeit.legal.services import withdrawal_waiver_ensure
from sprechzeit.platforms.http import PlatformRequest

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
STARS = frozenset({"1", "2", "3", "4", "5"})


def _client_of(request: PlatformRequest) -> ClientAccount:
    platform = request.platform
    client = ClientAccount.objects.filter(user_id=request.user.pk or 0).first()
    if client is None or platform is None or client.platform_id != platform.pk:
        raise Http404
    return client


def _partner_of(request: HttpRequest) -> Partner:
    partner = Partner.objects.filter(user_id=request.user.pk or 0).first()
    if partner is None:
        raise Http404
    return partner


def _month(request: HttpRequest) -> str | None:
    month = request.GET.get("monat", "")
    return month if MONTH.match(month) else None


# The partners a client confirmed the terms of in this session (asked once per partner).
CONFIRMED_PARTNERS = "consultation_confirmed_partners"


@login_required
@require_http_methods(["GET", "POST"])
@back_on_domain_error("site:listing")
def consultation_start(request: PlatformRequest, slug: str) -> HttpResponse:
    """Before the first paid consultation with a partner in a session the client sees the
    rate, the balance and the minutes it buys, and confirms; later starts go straight in."""
    client = _client_of(request)
    listing = Listing.objects.filter(platform_id=client.platform_id, slug=slug).first()
    if listing is None:
        raise Http404
    confirmed = [int(pk) for pk in request.session.get(CONFIRMED_PARTNERS, [])]
    # Chat or video (the listing's own video rate), chosen on the profile.
    channel = (
        Consultation.Channel.VIDEO
        if request.POST.get("kanal", request.GET.get("kanal")) == "video"
        else Consultation.Channel.CHAT
    )
    if request.method == "POST" and (
        request.POST.get("bestaetigt") == "1" or listing.partner_id in confirmed
    ):
        # § 356 Abs. 4/5 BGB: before the first paid consultation the client asks for the
        # immediate start and acknowledges losing the right of withdrawal (recorded once).
        withdrawal_waiver_ensure(
            user=client.user,
            platform=listing.platform,
            given=request.POST.get("withdrawal_waiver") == "on",
            ip=client_address(request),
        )
        consultation = services.consultation_request(
            client=client, listing=listing, channel=channel
        )
        if listing.partner_id not in confirmed:
            request.session[CONFIRMED_PARTNERS] = [*confirmed, listing.partner_id]
        return redirect("consultations:room", consultation_id=consultation.pk)
    return render(
        request,
        "consultations/start_confirm.html",
        {
            "listing": listing,
            "offer": consultation_offer(client=client, listing=listing, channel=channel),
            "waiver_needed": not withdrawal_waiver_given(user=client.user),
        },
    )


@login_required
@require_GET
def consultation_room(request: HttpRequest, consultation_id: str) -> HttpResponse:
    try:
        participation = consultation_for_user(consultation_id=consultation_id, user=request.user)  # type: ignore[arg-type]
    except ConsultationError as exc:
        # Deliberately one answer for "unknown" and "not yours": no hint that it exists.
        raise Http404 from exc
    consultation = participation.consultation
    return render(
        request,
        "consultations/room.html",
        {
            "consultation": consultation,
            "role": participation.role,
            "messages_list": transcript(consultation=consultation),
            "state": services.meter_state(consultation),
            "summary": services.consultation_summary(
                consultation=consultation, role=participation.role
            ),
            "rating_min_minutes": services.MIN_RATED_PAID_SECONDS // 60,
            "room_texts": _room_texts(participation.role),
            "video_texts": _video_texts(),
        },
    )


def _room_texts(role: str) -> dict[str, object]:
    """The room script's words (German source, translated), read from a JSON block."""
    warning = (
        _("Noch %s Sekunden Guthaben. Jetzt aufladen, um weiterzusprechen.")
        if role == "client"
        else _("Noch %s Sekunden bezahlte Zeit des Klienten.")
    )
    return {
        "ended": _("Die Beratung ist beendet."),
        "settling": _("Die Abrechnung wird gebucht …"),
        "reconnected": _(
            "Verbindung wiederhergestellt. Die %s Sekunden ohne Verbindung werden nicht berechnet."
        ),
        "warning": warning,
        "live": _("läuft"),
        "paused": _("Zähler pausiert: Guthaben wird aufgeladen …"),
        "requested": _("Warten auf den Berater …"),
        "declined": _("Der Berater hat abgelehnt."),
        "missed": _("Der Berater hat nicht geantwortet."),
        "cancelled": _("Die Anfrage wurde zurückgezogen."),
        "client": _("Klient"),
        "partner": pgettext("singular", "Berater"),
        "rated": _("Sie haben diese Beratung bereits bewertet. Danke!"),
        "reasons": {str(value): str(label) for value, label in Consultation.EndReason.choices},
    }


def _video_texts() -> dict[str, str]:
    """The words of the video script (video consultations)."""
    return {
        "waiting": _("Video startet, sobald der Berater angenommen hat."),
        "connecting": _("Verbindung wird aufgebaut …"),
        "connected": _("Video verbunden."),
        "denied": _(
            "Ihr Browser hat den Zugriff auf Kamera oder Mikrofon verweigert. Die Beratung "
            "geht als Chat weiter. Zum Freigeben: Schloss-Symbol in der Adresszeile."
        ),
        "no_device": _(
            "Wir finden keine Kamera oder kein Mikrofon. Die Beratung geht als Chat weiter."
        ),
        "failed": _("Die Videoverbindung kam nicht zustande. Die Beratung geht als Chat weiter."),
        "unsupported": _("Ihr Browser kann kein Video. Die Beratung geht als Chat weiter."),
        "peer_fallback": _(
            "Beim Gegenüber klappt das Video nicht. Die Beratung geht als Chat weiter."
        ),
        "chat_only": _("Das Video ist ausgefallen; die Beratung läuft als Chat weiter."),
        "ended": _("Das Video ist beendet."),
        "mute": _("Mikrofon aus"),
        "unmute": _("Mikrofon an"),
        "camera_off": _("Kamera aus"),
        "camera_on": _("Kamera an"),
    }


@login_required
@require_POST
@back_on_domain_error("consultations:room")
def rating_submit(request: PlatformRequest, consultation_id: str) -> HttpResponse:
    client = _client_of(request)
    participation = consultation_for_user(consultation_id=consultation_id, user=request.user)  # type: ignore[arg-type]
    raw = request.POST.get("stars", "")
    services.rating_create(
        consultation=participation.consultation,
        client=client,
        stars=int(raw) if raw in STARS else 0,  # 0 is refused by the service, with its message
        text=request.POST.get("text", ""),
    )
    messages.success(request, _("Danke für Ihre Bewertung."))
    return redirect("consultations:room", consultation_id=consultation_id)


@login_required
@require_GET
def records_client(request: PlatformRequest) -> HttpResponse:
    month = _month(request)
    found = records.records_page_for_client(
        client=_client_of(request), month=month, number=request.GET.get("seite", 1)
    )
    return _records_page(request, found, month, for_partner=False)


@login_required
@require_GET
def records_client_csv(request: PlatformRequest) -> HttpResponse:
    client = _client_of(request)
    rows = records.records_for_client(client=client, month=_month(request))
    return _csv(records.records_csv(rows, for_partner=False), "einzelverbindungen.csv")


@login_required
@require_GET
def consumption_client(request: PlatformRequest) -> HttpResponse:
    """The client's monthly consumption statement (`?monat=JJJJ-MM`, default: this month)."""
    client = _client_of(request)
    month = _month(request) or timezone.localtime(clock.now()).strftime("%Y-%m")
    return render(
        request,
        "consultations/consumption.html",
        {
            "consumption": consumption_for_client(client=client, month=month),
            "account": client,
            "entity": client.platform.legal_entity,
        },
    )


def _records_page(
    request: HttpRequest, found: records.RecordsPage, month: str | None, *, for_partner: bool
) -> HttpResponse:
    return render(
        request,
        "consultations/records.html",
        {
            "records": found.records,
            "sums": found.sums,
            "page": found.page,
            "month": month,
            "for_partner": for_partner,
        },
    )


def _csv(body: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def records_partner(request: HttpRequest) -> HttpResponse:
    month = _month(request)
    found = records.records_page_for_partner(
        partner=_partner_of(request), month=month, number=request.GET.get("seite", 1)
    )
    return _records_page(request, found, month, for_partner=True)


@login_required
@require_GET
def records_partner_csv(request: HttpRequest) -> HttpResponse:
    partner = _partner_of(request)
    rows = records.records_for_partner(partner=partner, month=_month(request))
    return _csv(records.records_csv(rows, for_partner=True), "beratungen.csv")


@login_required
@require_GET
def partner_requests(request: HttpRequest) -> HttpResponse:
    partner = _partner_of(request)
    return render(
        request,
        "consultations/partner_requests.html",
        {"partner": partner, "availability": partner_availability(partner=partner)},
    )


@login_required
@require_POST
def partner_presence(request: HttpRequest) -> HttpResponse:
    partner = _partner_of(request)
    status = request.POST.get("status", "")
    if status not in PartnerPresence.Status.values:
        messages.error(request, _("Unbekannter Status."))
    else:
        services.presence_set(partner=partner, status=status)
    return redirect("consultations:partner_requests")


@require_GET
def availability(request: PlatformRequest) -> JsonResponse:
    """Directory pages poll this (or listen on their presence group) for live status."""
    platform = request.platform
    if platform is None:
        raise Http404
    ids = ids_parse(request.GET.getlist("listing"), field="listing", limit=200)
    result: dict[str, Any] = {
        str(key): value for key, value in listings_availability(platform, listing_ids=ids).items()
    }
    return JsonResponse({"listings": result})
