"""Public pages of a platform and the network overview. Thin: parse, call, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sprechzeit.accounts.errors import EmailTaken, InvalidVatId
from sprechzeit.accounts.models import ClientAccount, Listing
from sprechzeit.accounts.selectors import categories_of
from sprechzeit.accounts.services import client_register
from sprechzeit.accounts.throttles import signup_buckets
from sprechzeit.consultations.models import VoiceConfig
from sprechzeit.consultations.selectors import Availability, favourite_state
from sprechzeit.consultations.services.video import listing_video_offer
from sprechzeit.core.inputs import amount_parse, form_status
from sprechzeit.core.net import client_address
from sprechzeit.core.throttle import Throttled, throttle_take
from sprechzeit.legal.errors import LegalDocumentMissing
from sprechzeit.legal.services import consents_record_signup
from sprechzeit.notifications.services import mail_send
from sprechzeit.platforms.errors import ContactRateLimited
from sprechzeit.platforms.http import PlatformRequest
from sprechzeit.platforms.models import Platform
from sprechzeit.platforms.selectors import host_port, platform_url, platforms_active
from sprechzeit.platforms.services import contact_message_submit
from sprechzeit.site.auth_views import BACKEND, send_verification_email
from sprechzeit.site.forms import ContactForm, SignupForm
from sprechzeit.site.selectors import (
    DirectoryFilter,
    listing_entry,
    listing_reviews,
    listings_directory_page,
)
from sprechzeit.support.models import RatingReport
from sprechzeit.wallets.errors import WalletError
from sprechzeit.wallets.services import wallet_check_spend, wallet_open

SORT_LABELS = (
    ("rating", gettext_lazy("Beste Bewertung")),
    ("price_asc", gettext_lazy("Preis aufsteigend")),
    ("price_desc", gettext_lazy("Preis absteigend")),
    ("newest", gettext_lazy("Neueste")),
)


def _platform(request: PlatformRequest) -> Platform:
    platform = request.platform
    if platform is None:
        raise Http404(_("Diese Seite gibt es nur auf einer Plattform."))
    return platform


def home(request: PlatformRequest) -> HttpResponse:
    platform = request.platform
    if platform is None:
        port = host_port(request.META.get("HTTP_HOST", ""))
        scheme = request.scheme or "http"
        platforms = [
            (p, platform_url(platform=p, request_scheme=scheme, port=port))
            for p in platforms_active()
        ]
        return render(request, "site/network.html", {"entries": platforms})
    # Available partners come first: the first six of them are within the first nine.
    first = listings_directory_page(platform, DirectoryFilter(), size=9)
    online = [e for e in first.entries if e.status != Availability.OFFLINE][:6]
    return render(
        request,
        "site/home.html",
        {
            "online": online,
            "entries": first.entries,
            "total": first.total,
            "categories": categories_of(platform),
        },
    )


def _cents(raw: str | None, *, currency: str, field: str) -> int | None:
    """A price filter in euros ("2", "2,50", "2.5") as cents; anything else is a 400."""
    if not raw:
        return None
    message = _("Bitte einen Preis wie 2,50 eingeben.")
    return amount_parse(raw, currency=currency, field=field, message=message).minor


def directory(request: PlatformRequest) -> HttpResponse:
    platform = _platform(request)
    params = request.GET
    flt = DirectoryFilter(
        category=params.get("kategorie", ""),
        online_only=params.get("online") == "1",
        price_min_minor=_cents(
            params.get("preis_von"), currency=platform.currency, field="preis_von"
        ),
        price_max_minor=_cents(
            params.get("preis_bis"), currency=platform.currency, field="preis_bis"
        ),
        sort=params.get("sortierung", "rating"),
    )
    found = listings_directory_page(platform, flt, number=params.get("seite", 1))
    others = params.copy()  # the filters, for the links to the other pages
    others.pop("seite", None)
    context = {
        "entries": found.entries,
        "page": found.page,
        "total": found.total,
        "page_query": others.urlencode(),
        "flt": flt,
        "price_from": params.get("preis_von", ""),
        "price_to": params.get("preis_bis", ""),
        "categories": categories_of(platform),
        "sorts": SORT_LABELS,
    }
    template = (
        "site/_directory_results.html"
        if request.headers.get("HX-Request")
        else "site/directory.html"
    )
    return render(request, template, context)


def listing_detail(request: PlatformRequest, slug: str) -> HttpResponse:
    platform = _platform(request)
    entry = listing_entry(platform, slug=slug)
    if entry is None:
        raise Http404(_("Dieses Beraterprofil gibt es nicht."))
    account = _client_here(request, platform)
    return render(
        request,
        "site/listing_detail.html",
        {
            "entry": entry,
            "listing": entry.listing,
            "reviews": listing_reviews(entry.listing),
            "voice": VoiceConfig.objects.filter(platform=platform, is_active=True).first(),
            "spend_refusal": _spend_refusal(account),
            "video_rate": listing_video_offer(entry.listing),
            "favourite": _favourite(account, entry.listing),
            # A client of this platform may report a review (support.services.rating_report).
            "can_report": account is not None,
            "report_reasons": RatingReport.Reason.choices,
        },
    )


def _client_here(request: PlatformRequest, platform: Platform) -> ClientAccount | None:
    """The visitor's client account on this platform; None, without a query, for anyone
    who is not one of its clients (most visitors of a profile)."""
    user = request.user
    if getattr(user, "kind", "") != "client" or getattr(user, "platform_id", None) != platform.pk:
        return None
    return ClientAccount.objects.filter(user_id=user.pk or 0, platform=platform).first()


def _favourite(account: ClientAccount | None, listing: Listing) -> dict[str, bool] | None:
    """For a client of this platform: is the listing starred, does an online alert wait."""
    if account is None:
        return None
    starred, alert_open = favourite_state(client=account, listing=listing)
    return {"starred": starred, "alert_open": alert_open}


def _spend_refusal(account: ClientAccount | None) -> str:
    """Why this client may not start a paid consultation now (blocked after a
    chargeback, self-excluded), or "": the profile then offers no "Jetzt chatten"."""
    if account is None:
        return ""
    try:
        wallet_check_spend(client_account=account)
    except WalletError as exc:
        return str(exc.message)
    return ""


def listing_status(request: PlatformRequest, slug: str) -> HttpResponse:
    """The live availability badge of one listing (polled by htmx on the profile page)."""
    platform = _platform(request)
    entry = listing_entry(platform, slug=slug)
    if entry is None:
        raise Http404(_("Dieses Beraterprofil gibt es nicht."))
    return render(request, "site/_status_badge.html", {"status": entry.status})


def impressum(request: PlatformRequest) -> HttpResponse:
    platform = _platform(request)
    return render(request, "site/impressum.html", {"entity": platform.legal_entity})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("site:home")


def signup(request: PlatformRequest) -> HttpResponse:
    platform = _platform(request)
    form = SignupForm(request.POST or None)
    valid = request.method == "POST" and form.is_valid()
    status = form_status(form)  # 400 for a refused field; a taken address stays a 200 page
    if valid:
        try:
            throttle_take(buckets=signup_buckets(request=request))
        except Throttled as exc:
            form.add_error(None, exc.user_message())
            return render(request, "site/signup.html", {"form": form}, status=429)
        try:
            # One transaction: no account without its consent to the AGB and privacy
            # notice in force (their versions are stored with time and IP).
            with transaction.atomic():
                account = client_register(
                    platform=platform,
                    email=form.cleaned_data["email"],
                    password=form.cleaned_data["password"],
                    first_name=form.cleaned_data["first_name"],
                    language=getattr(request, "LANGUAGE_CODE", "de"),
                    client_address=client_address(request),
                    country=form.cleaned_data["country"],
                    vat_id=form.cleaned_data["vat_id"],
                )
                consents_record_signup(
                    user=account.user, platform=platform, ip=client_address(request)
                )
        except InvalidVatId as exc:
            form.add_error("vat_id", str(exc.message))
        except LegalDocumentMissing as exc:
            form.add_error(None, str(exc.message))
        except EmailTaken:
            form.add_error(
                "email",
                _(
                    "Diese E-Mail-Adresse ist auf dieser Plattform bereits registriert. Bitte melden Sie sich an."
                ),
            )
        else:
            # The welcome credit follows the e-mail confirmation (auth_views.verify_email).
            wallet_open(client_account=account)
            login(request, account.user, backend=BACKEND)
            send_verification_email(request, account.user)
            messages.success(
                request,
                _(
                    "Willkommen! Ihr Kundenkonto ist angelegt. Bitte bestätigen Sie Ihre "
                    "E-Mail-Adresse über den Link, den wir Ihnen geschickt haben."
                ),
            )
            return redirect("site:home")
    return render(request, "site/signup.html", {"form": form}, status=status)


def contact(request: PlatformRequest) -> HttpResponse:
    platform = _platform(request)
    initial = {"email": request.user.email} if request.user.is_authenticated else {}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_spam():
            # A filled honeypot: refuse, store nothing, tell nothing useful to a bot.
            return render(
                request, "site/contact.html", {"form": ContactForm(), "refused": True}, status=400
            )
        if form.is_valid():
            try:
                stored = contact_message_submit(
                    platform=platform,
                    email=form.cleaned_data["email"],
                    subject=form.cleaned_data["subject"],
                    message=form.cleaned_data["message"],
                    ip=client_address(request),
                )
            except ContactRateLimited:
                return render(
                    request, "site/contact.html", {"form": form, "rate_limited": True}, status=429
                )
            # A receipt without the message's text: the form must not relay content to
            # an address someone else typed in (and the form is rate-limited).
            mail_send(
                platform=platform,
                to=form.cleaned_data["email"],
                template="contact_confirmation",
                context={},
                # The thread in the back office shows the receipt by this key.
                key=f"contact-receipt:{stored.pk}",
                language=getattr(request, "LANGUAGE_CODE", None),
            )
            return redirect("site:contact_done")
    return render(request, "site/contact.html", {"form": form}, status=form_status(form))


def contact_done(request: PlatformRequest) -> HttpResponse:
    _platform(request)
    return render(
        request,
        "site/message.html",
        {
            "title": _("Danke für Ihre Nachricht"),
            "text": _(
                "Wir haben Ihre Nachricht erhalten und melden uns so bald wie möglich, in der Regel innerhalb eines Werktags."
            ),
            "link": "/",
            "link_text": _("Zur Startseite"),
        },
    )


# --- error pages, in the platform's brand -------------------------------------------


def _error(request: HttpRequest, status: int, title: str, text: str, **extra: Any) -> HttpResponse:
    return render(
        request,
        "site/error.html",
        {"status": status, "title": title, "text": text, **extra},
        status=status,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request, 400, _("Ungültige Anfrage"), _("Diese Anfrage konnten wir nicht verstehen.")
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, _("Kein Zugriff"), _("Für diese Seite fehlen Ihnen die Rechte."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, _("Seite nicht gefunden"), _("Diese Seite gibt es nicht (mehr)."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        500,
        _("Ein Fehler ist aufgetreten"),
        _("Wir kümmern uns darum. Bitte versuchen Sie es in ein paar Minuten erneut."),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        _("Sitzung abgelaufen"),
        _(
            "Aus Sicherheitsgründen konnte das Formular nicht gesendet werden. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal."
        ),
    )
