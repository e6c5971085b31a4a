"""A video consultation between two real Chromium browsers with fake cameras and
microphones: the client chooses video on the profile, the partner accepts, both allow
camera and microphone, both peer connections reach `connected` and receive media
(getStats), the server's cut-off at the paid second ends the media on both sides, and
the consultation is billed exactly (the ledger check passes)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Playwright, expect

from sprechzeit.demo.seed import DEMO_PASSWORD, PARTNERS
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REPORT_CSP_VIOLATIONS,
    LiveServer,
    screenshot_path,
)
from tests.browser.staff import partner_online, totp_code
from tests.browser.test_phone_layouts import FITS

pytestmark = pytest.mark.browser

PARTNER_EMAIL = PARTNERS[2].email  # Miriam Roth on Coaching-Profis (no other test uses her)
CLIENT_EMAIL = "vera.video@example.com"
CLIENT_PASSWORD = "mein-video-passwort-7"
# Video at 3.00 €/min billed per second; 1.50 € pays for exactly 30 seconds.
PAID_SECONDS = 30
SETUP = f"""
import uuid
from sprechzeit.accounts.models import Listing
from sprechzeit.accounts.services import client_register, email_verification_token, user_verify_email
from sprechzeit.consultations.services.video import listing_video_set
from sprechzeit.core.money import Money
from sprechzeit.ledger.models import AccountPurpose
from sprechzeit.legal.services import consents_record_signup
from sprechzeit.platforms.models import Platform
from sprechzeit.wallets.services import platform_account, wallet_credit, wallet_open
platform = Platform.objects.get(slug="coaching")
listing = Listing.objects.get(platform=platform, slug="miriam-roth")
listing_video_set(listing=listing, enabled=True, rate_minor=300)
account = client_register(platform=platform, email="{CLIENT_EMAIL}", password="{CLIENT_PASSWORD}", first_name="Vera")
consents_record_signup(user=account.user, platform=platform, ip=None)
wallet_open(client_account=account)
user_verify_email(token=email_verification_token(user=account.user), platform=platform)
wallet_credit(
    client_account=account,
    amount=Money(150, platform.currency),
    source=platform_account(platform=platform, purpose=AccountPurpose.PROVIDER_CLEARING),
    id=uuid.uuid4(),
    reference="test:video",
)
"""
RESULT = """
import json
from sprechzeit.consultations.models import Consultation
c = Consultation.objects.filter(listing__slug="miriam-roth", channel="video").latest("requested_at")
print(json.dumps({
    "status": c.status, "reason": c.end_reason, "started_at": c.started_at.timestamp(),
    "paid_seconds": c.paid_seconds, "billed_seconds": c.billed_seconds,
    "amount_minor": c.amount_minor, "held_minor": c.held_minor, "rate_minor": c.rate_minor,
}))
"""
# Every peer connection the page makes, and when the page closed it (ms since epoch).
WATCH_PEERS = """
window.__pcs = [];
window.__closedAt = null;
const Original = window.RTCPeerConnection;
window.RTCPeerConnection = class extends Original {
  constructor(...args) { super(...args); window.__pcs.push(this); }
  close() { if (window.__closedAt === null) { window.__closedAt = Date.now(); } super.close(); }
};
"""
# Functions, not expressions: Playwright evaluates a polled expression with eval(),
# which the room's Content-Security-Policy forbids (no 'unsafe-eval').
CONNECTED = "() => window.__pcs.some((pc) => pc.connectionState === 'connected')"
# Bytes received by the connected peer connection, audio and video separately.
RECEIVED = """async () => {
  const pc = window.__pcs.find((p) => p.connectionState === 'connected');
  const bytes = { audio: 0, video: 0 };
  (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp') { bytes[r.kind] += r.bytesReceived; } });
  return bytes;
}"""
MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    # The machine running the suite may have no other interface: host candidates on
    # the loopback suffice (no STUN, no internet).
    "--allow-loopback-in-peer-connection",
]


@pytest.fixture(scope="module")
def media_browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *MEDIA_ARGS], headless=True
    )
    yield browser
    browser.close()


def _context(
    browser: Browser, server: LiveServer, violations: list[str], **kwargs: object
) -> BrowserContext:
    context = browser.new_context(**kwargs)  # type: ignore[arg-type]
    context.grant_permissions(["camera", "microphone"], origin=server.url("coaching", "")[:-1])
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    context.add_init_script(WATCH_PEERS)

    def listen(message: ConsoleMessage) -> None:
        if "CSP violation" in message.text or "Content Security Policy" in message.text:
            violations.append(message.text)

    context.on("console", listen)
    return context


def test_video_between_two_browsers_cut_off_at_the_paid_second(
    media_browser: Browser, demo_server: LiveServer
) -> None:
    demo_server.sprechzeit("shell", "-c", SETUP)
    violations: list[str] = []
    partner = _context(
        media_browser, demo_server, violations, viewport={"width": 1280, "height": 900}
    ).new_page()
    client = _context(
        media_browser,
        demo_server,
        violations,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    ).new_page()
    partner_online(partner, demo_server, PARTNER_EMAIL)

    client.goto(demo_server.url("coaching", "/anmelden/"))
    client.get_by_label("E-Mail").fill(CLIENT_EMAIL)
    client.get_by_label("Passwort").fill(CLIENT_PASSWORD)
    client.get_by_role("button", name="Anmelden").click()
    expect(client.get_by_role("button", name="Abmelden")).to_be_visible()
    # The profile shows the video rate beside the chat rate; the client chooses video.
    client.goto(demo_server.url("coaching", "/berater/miriam-roth/"))
    expect(client.locator("#video-rate")).to_have_text("Video: 3,00\xa0€ pro Minute")
    client.get_by_role("button", name="Video starten").click()
    expect(client.locator("#offer-channel")).to_contain_text("Video")
    expect(client.locator("#offer-rate")).to_have_text("3,00\xa0€ pro Minute")
    expect(client.locator("#offer-minutes")).to_have_text("30 Sekunden")
    client.get_by_label(
        "Ich verlange ausdrücklich, dass die Beratung sofort beginnt", exact=False
    ).check()
    client.get_by_role("button", name="Kostenpflichtig starten").click()
    expect(client.get_by_role("heading", name="Beratung mit Miriam Roth")).to_be_visible()
    # Asked with an explanation first; the self-view shows once allowed.
    expect(client.locator("#video-permission")).to_contain_text("Kamera und Mikrofon")
    client.get_by_role("button", name="Kamera und Mikrofon freigeben").click()
    expect(client.locator("#video-self")).to_be_visible()
    expect(client.locator("#video-status")).to_contain_text("sobald der Berater angenommen hat")

    expect(partner.locator("#request-list .request-new")).to_have_count(1)
    expect(partner.locator("#request-list .request-new")).to_contain_text("Video")
    partner.get_by_role("button", name="Annehmen").click()
    expect(partner.get_by_role("heading", name="Beratung")).to_be_visible()
    partner.get_by_role("button", name="Kamera und Mikrofon freigeben").click()

    # Both peer connections connect and receive audio and video.
    for page in (client, partner):
        page.wait_for_function(CONNECTED, timeout=20_000)
    for page in (client, partner):
        deadline = time.monotonic() + 15
        while (received := page.evaluate(RECEIVED)) and not (
            received["audio"] > 0 and received["video"] > 0
        ):
            assert time.monotonic() < deadline, received
            time.sleep(0.25)
        expect(page.locator("#video-status")).to_have_text("Video verbunden.")
    # Mute and camera off act on this side's own tracks.
    client.get_by_role("button", name="Mikrofon aus").click()
    expect(client.locator("#video-mute")).to_have_attribute("aria-pressed", "true")
    client.get_by_role("button", name="Mikrofon an").click()
    # On the phone: the picture, the self-view and the chat fit the screen's width.
    assert client.evaluate(FITS)
    client.screenshot(path=screenshot_path("video-client-phone"), full_page=True)
    partner.screenshot(path=screenshot_path("video-partner"), full_page=True)

    # The server cuts off at the paid second: both screens end the media at once.
    for page in (client, partner):
        expect(page.locator("#meter-status")).to_contain_text("beendet", timeout=45_000)
        page.wait_for_function("() => window.__closedAt !== null", timeout=5_000)
        assert page.evaluate("window.__pcs.every((pc) => pc.connectionState === 'closed')")
        assert page.evaluate("document.getElementById('video-remote').srcObject === null")
        expect(page.locator("#video-stage")).to_be_hidden()
        expect(page.locator("#video-message")).to_have_text("Das Video ist beendet.")
    time.sleep(1)  # the booking follows the announcement
    result = json.loads(demo_server.sprechzeit("shell", "-c", RESULT).strip().splitlines()[-1])
    assert result["paid_seconds"] == PAID_SECONDS
    cut_off = result["started_at"] + PAID_SECONDS
    for page in (client, partner):
        closed = page.evaluate("window.__closedAt") / 1000
        assert cut_off - 0.2 <= closed <= cut_off + 2.0, (
            datetime.fromtimestamp(cut_off, tz=UTC).isoformat(),
            datetime.fromtimestamp(closed, tz=UTC).isoformat(),
        )
    assert result == {
        **result,
        "status": "settled",
        "reason": "balance",
        "billed_seconds": PAID_SECONDS,
        "amount_minor": 150,
        "held_minor": 150,
        "rate_minor": 300,
    }
    expect(client.locator("#summary-amount")).to_have_text("1,50\xa0€", timeout=10_000)

    client.goto(demo_server.url("coaching", reverse("consultations:records")))
    row = client.get_by_role("row").filter(has_text="Miriam Roth").first
    expect(row).to_contain_text("Video")
    expect(row).to_contain_text("1,50\xa0€")
    check = demo_server.sprechzeit("ledger", "check")
    assert "OK" in check.upper()
    assert violations == [], violations
    partner.context.close()
    client.context.close()


FALLBACK_PARTNER = PARTNERS[4].email  # Madame Sophia on Kartenlegen (no other test uses her)
FALLBACK_SETUP = (
    SETUP.replace('"coaching"', '"karten"')
    .replace('"miriam-roth"', '"madame-sophia"')
    .replace(CLIENT_EMAIL, "nora.ohnekamera@example.com")
)


def test_without_a_camera_the_video_falls_back_to_chat_in_the_same_consultation(
    browser: Browser, demo_server: LiveServer
) -> None:
    """The suite's usual browser has no fake devices: the client's browser refuses or
    finds no camera, says so, and both go on chatting in the same consultation."""
    demo_server.sprechzeit("shell", "-c", FALLBACK_SETUP)
    partner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    client = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ).new_page()
    partner.goto(demo_server.url("karten", "/anmelden/"))
    partner.get_by_label("E-Mail").fill(FALLBACK_PARTNER)
    partner.get_by_label("Passwort").fill(DEMO_PASSWORD)
    partner.get_by_role("button", name="Anmelden").click()
    partner.get_by_label("Sechsstelliger Code").fill(totp_code(FALLBACK_PARTNER))
    partner.get_by_role("button", name="Bestätigen").click()
    partner.goto(demo_server.url("karten", reverse("consultations:partner_requests")))
    partner.get_by_role("button", name="Online gehen").click()
    expect(partner.locator("#presence")).to_contain_text("online")

    client.goto(demo_server.url("karten", "/anmelden/"))
    client.get_by_label("E-Mail").fill("nora.ohnekamera@example.com")
    client.get_by_label("Passwort").fill(CLIENT_PASSWORD)
    client.get_by_role("button", name="Anmelden").click()
    client.goto(demo_server.url("karten", "/berater/madame-sophia/"))
    client.get_by_role("button", name="Video starten").click()
    client.get_by_label(
        "Ich verlange ausdrücklich, dass die Beratung sofort beginnt", exact=False
    ).check()
    client.get_by_role("button", name="Kostenpflichtig starten").click()
    partner.get_by_role("button", name="Annehmen").click()
    expect(partner.locator("#video-permission")).to_be_visible()
    expect(client.locator("#meter-status")).to_have_text("läuft")

    client.get_by_role("button", name="Kamera und Mikrofon freigeben").click()
    # A clear message on this side, the reason on the other; the video controls go away.
    expect(client.locator("#video-message")).to_contain_text("Die Beratung geht als Chat weiter")
    expect(partner.locator("#video-message")).to_have_text(
        "Beim Gegenüber klappt das Video nicht. Die Beratung geht als Chat weiter."
    )
    for page in (client, partner):
        expect(page.locator("#video-permission")).to_be_hidden()
        expect(page.locator("#video-stage")).to_be_hidden()
    client.screenshot(path=screenshot_path("video-fallback-phone"), full_page=True)
    # The same consultation goes on as a chat, and the meter keeps running.
    client.get_by_placeholder("Ihre Nachricht …").fill("Dann eben schriftlich.")
    client.get_by_role("button", name="Senden").click()
    expect(partner.locator("#chat-log")).to_contain_text("Dann eben schriftlich.")
    expect(client.locator("#meter-status")).to_have_text("läuft")
    client.get_by_role("button", name="Beratung beenden").click()
    expect(partner.locator("#meter-status")).to_contain_text("beendet", timeout=10_000)

    client.goto(demo_server.url("karten", reverse("consultations:records")))
    row = client.get_by_role("row").filter(has_text="Madame Sophia").first
    expect(row).to_contain_text("Video, als Chat weitergeführt")
    check = demo_server.sprechzeit("ledger", "check")
    assert "OK" in check.upper()
    partner.context.close()
    client.context.close()
