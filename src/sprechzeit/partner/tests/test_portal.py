"""The partner portal: access, availability, earnings, listing edits."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from sprechzeit.accounts.models import Category, Listing, Partner
from sprechzeit.accounts.tests.factories import client_create, login_verified, partner_with_listing
from sprechzeit.consultations.models import Consultation, PartnerPresence
from sprechzeit.consultations.selectors import partner_availability
from sprechzeit.consultations.services import (
    consultation_accept,
    consultation_end,
    consultation_request,
    presence_set,
)
from sprechzeit.consultations.tests.factories import top_up
from sprechzeit.core import clock
from sprechzeit.core.money import Money, money_text
from sprechzeit.ledger.tests.helpers import assert_ledger_sound
from sprechzeit.partner.earnings import (
    earnings_between,
    earnings_chart,
    earnings_month,
    nice_ceiling,
)
from sprechzeit.platforms.tests.factories import platform_create

pytestmark = pytest.mark.django_db
A = {"host": "a.localhost"}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    return out.getvalue()


PNG = _png()


def test_portal_requires_partner_with_second_factor() -> None:
    platform = platform_create(slug="a")
    partner, _listing = partner_with_listing(platform=platform)
    browser = Client()
    assert browser.get("/partner/", headers=A)["Location"].startswith("/anmelden/")
    browser.force_login(partner.user, backend="sprechzeit.accounts.backends.PlatformEmailBackend")
    assert browser.get("/partner/", headers=A)["Location"].startswith("/anmelden/")  # no TOTP yet
    login_verified(browser, partner.user)
    assert browser.get("/partner/", headers=A).status_code == 200
    client_browser = Client()
    login_verified(client_browser, client_create(platform=platform).user)
    assert client_browser.get("/partner/", headers=A).status_code == 403


def test_availability_switch() -> None:
    platform = platform_create(slug="a")
    partner, _listing = partner_with_listing(platform=platform)
    browser = Client()
    login_verified(browser, partner.user)
    browser.post("/partner/erreichbarkeit/", {"status": "online"}, headers=A)
    assert partner_availability(partner=partner) == "online"
    assert "Offline gehen" in browser.get("/partner/", headers=A).content.decode()
    browser.post("/partner/erreichbarkeit/", {"status": "offline"}, headers=A)
    assert partner_availability(partner=partner) == "offline"
    browser.post("/partner/erreichbarkeit/", {"status": "weg"}, headers=A)
    assert partner_availability(partner=partner) == "offline"


def _settled(start: datetime) -> tuple[Partner, Consultation]:
    """A partner (2.00 €/min on platform "a") and a 5-minute consultation from `start`,
    ended by the client and settled."""
    platform = platform_create(slug="a", rate_min_minor=99, rate_max_minor=999)
    partner, listing = partner_with_listing(platform=platform, rate_minor=200)
    client = client_create(platform=platform)
    top_up(client=client, minor=10_000)
    presence_set(partner=partner, status=PartnerPresence.Status.ONLINE)
    consultation = consultation_request(client=client, listing=listing, now=start)
    consultation = consultation_accept(consultation=consultation, partner=partner, now=start)
    consultation = consultation_end(
        consultation=consultation, reason="client", now=start + timedelta(seconds=300)
    )
    return partner, consultation


def test_earnings_today_month_and_chart_match_settled_consultations() -> None:
    # Half an hour ago, but never before today's local midnight: run just after midnight
    # (or on the 1st of a month) "today" and "this month" must still hold it.
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(timezone.now() - timedelta(minutes=30), midnight + timedelta(minutes=1))
    partner, consultation = _settled(start)
    today = timezone.localdate(start)
    rows = earnings_between(partner=partner, day_from=today.replace(day=1), day_to=today)
    assert len(rows) == 1
    assert rows[0].share.minor == consultation.partner_share_minor
    assert rows[0].billed_seconds == 300
    assert rows[0].minutes == 5
    chart = earnings_chart(partner=partner, month=today)[0]
    bar = chart.bars[timezone.localtime(consultation.ended_at).day - 1]
    assert bar.share_minor == consultation.partner_share_minor
    assert bar.minutes == 5
    assert sum(b.share_minor for b in chart.bars) == consultation.partner_share_minor
    browser = Client()
    login_verified(browser, partner.user)
    body = browser.get("/partner/", headers=A).content.decode()
    assert "<svg" in body
    # Labelled axes: amounts on the left up to a round top, minutes on the right, days below.
    top = nice_ceiling(consultation.partner_share_minor)
    assert chart.max_share_minor == top >= consultation.partner_share_minor
    assert [t.value for t in chart.share_ticks] == [0, top // 2, top]
    assert [t.value for t in chart.minute_ticks] == [0, 2, 5]
    assert [t.value for t in chart.day_ticks][:3] == [1, 5, 10]
    assert chart.day_ticks[-1].value == len(chart.bars)
    assert bar.height == chart.bottom - chart.top or bar.share_minor < top
    for tick in chart.share_ticks:
        label = money_text(Money(tick.value, "EUR"))
        assert (
            f'class="label share-label" text-anchor="end" dominant-baseline="middle">{label}<'
            in body
        )
    assert 'class="label day-label" text-anchor="middle">15.<' in body
    assert money_text(Money(consultation.partner_share_minor, "EUR")) in body
    assert "EUR" not in body  # amounts as the site writes them, never "12.34 EUR"
    assert_ledger_sound()


def test_before_anything_is_settled_this_month_the_dashboard_shows_last_months_chart() -> None:
    partner, consultation = _settled(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    platform = consultation.platform
    browser = Client()
    login_verified(browser, partner.user)
    berlin = ZoneInfo("Europe/Berlin")
    with clock.frozen_at(datetime(2026, 12, 1, 0, 30, tzinfo=berlin)):
        first = browser.get("/partner/", headers=A).content.decode()
    assert "In diesem Monat noch keine abgerechneten Gespräche." in first
    assert "pro Tag im November 2026" in first  # last month's chart, captioned so
    assert first.count('class="chart"') == 1
    with clock.frozen_at(datetime(2026, 11, 25, 12, 0, tzinfo=berlin)):
        during = browser.get("/partner/", headers=A).content.decode()
    assert "pro Tag im November 2026" in during
    assert "In diesem Monat noch keine abgerechneten Gespräche." not in during
    # A partner with nothing settled at all sees no chart, and no error.
    other, _listing = partner_with_listing(platform=platform, rate_minor=300)
    login_verified(browser, other.user)
    with clock.frozen_at(datetime(2026, 12, 1, 0, 30, tzinfo=berlin)):
        empty = browser.get("/partner/", headers=A)
    assert empty.status_code == 200
    assert 'class="chart"' not in empty.content.decode()
    assert_ledger_sound()


def test_nice_ceiling() -> None:
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 10, 11, 186, 501, 18_658)] == [
        1,
        1,
        5,
        10,
        10,
        20,
        200,
        1000,
        20_000,
    ]


def test_listing_edit_with_preview_limits_and_photo() -> None:
    platform = platform_create(slug="a", rate_min_minor=99, rate_max_minor=499)
    other = platform_create(slug="b")
    tarot = Category.objects.create(platform=platform, name="Tarot", slug="tarot")
    foreign = Category.objects.create(platform=other, name="Fremd", slug="fremd")
    partner, listing = partner_with_listing(platform=platform, rate_minor=199)
    browser = Client()
    login_verified(browser, partner.user)
    url = f"/partner/profile/{listing.pk}/"
    data = {
        "display_name": "Neu",
        "headline": "Kurz",
        "description": "Text",
        "rate": "2,49",
        "categories": [tarot.pk],
    }

    preview = browser.post(url, {**data, "preview": "1"}, headers=A)
    assert "Noch nicht gespeichert" in preview.content.decode()
    assert Listing.objects.get(pk=listing.pk).display_name != "Neu"

    too_dear = browser.post(url, {**data, "rate": "5,00"}, headers=A)
    assert "zwischen 0,99 und 4,99" in too_dear.content.decode()
    assert Listing.objects.get(pk=listing.pk).rate_minor == 199
    assert browser.post(url, {**data, "rate": "2,499"}, headers=A).status_code == 400

    bad_photo = SimpleUploadedFile("x.png", b"<script>alert(1)</script>", content_type="image/png")
    response = browser.post(url, {**data, "photo": bad_photo}, headers=A)
    assert "JPEG, PNG oder WebP" in response.content.decode()

    photo = SimpleUploadedFile("me.png", PNG, content_type="image/png")
    response = browser.post(
        url, {**data, "categories": [tarot.pk, foreign.pk], "photo": photo}, headers=A
    )
    assert response.status_code in {400, 302}
    saved = Listing.objects.get(pk=listing.pk)
    if response.status_code == 400:  # a category of another platform is not even offered
        assert "categories" in response.context["form"].errors
        response = browser.post(
            url, {**data, "photo": SimpleUploadedFile("me.png", PNG)}, headers=A
        )
        saved = Listing.objects.get(pk=listing.pk)
    assert response.status_code == 302
    assert (saved.display_name, saved.rate_minor) == ("Neu", 249)
    assert list(saved.categories.all()) == [tarot]
    assert str(saved.photo.name).endswith(".png")


def test_partner_cannot_edit_someone_elses_listing() -> None:
    platform = platform_create(slug="a")
    partner, _own = partner_with_listing(platform=platform)
    _other, foreign = partner_with_listing(platform=platform)
    browser = Client()
    login_verified(browser, partner.user)
    assert browser.get(f"/partner/profile/{foreign.pk}/", headers=A).status_code == 404


def test_dashboard_figures_from_the_daily_sums_equal_the_sums_between_days() -> None:
    """`earnings_month` (the dashboard's two queries) gives what `earnings_between` for
    today and for the month so far and `earnings_chart` give; days in the operator's zone."""
    platform = platform_create(slug="a", rate_min_minor=99, rate_max_minor=999)
    partner, listing = partner_with_listing(platform=platform, rate_minor=200)
    client = client_create(platform=platform)
    top_up(client=client, minor=10_000)
    presence_set(partner=partner, status=PartnerPresence.Status.ONLINE)
    # 22:30 UTC is 23:30 in Berlin: still the 17th; the 2nd is earlier in the month.
    for start in (
        datetime(2026, 3, 2, 9, tzinfo=UTC),
        datetime(2026, 3, 17, 8, tzinfo=UTC),
        datetime(2026, 3, 17, 22, 20, tzinfo=UTC),
    ):
        consultation = consultation_request(client=client, listing=listing, now=start)
        consultation = consultation_accept(consultation=consultation, partner=partner, now=start)
        consultation_end(
            consultation=consultation, reason="client", now=start + timedelta(minutes=5)
        )
    today = date(2026, 3, 17)
    figures = earnings_month(partner=partner, today=today)
    assert figures.today == earnings_between(partner=partner, day_from=today, day_to=today)
    assert figures.month == earnings_between(
        partner=partner, day_from=today.replace(day=1), day_to=today
    )
    assert figures.charts == earnings_chart(partner=partner, month=today)
    assert [(e.consultations, e.billed_seconds) for e in figures.today] == [(2, 600)]
    assert [(e.consultations, e.billed_seconds) for e in figures.month] == [(3, 900)]
    assert [bar.minutes for bar in figures.charts[0].bars if bar.minutes] == [5, 10]
    assert_ledger_sound()
