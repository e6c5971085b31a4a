"""Starting texts for a platform's AGB, privacy notice and Widerrufsbelehrung.

The demo seeds them and a new platform may start from them; the operator's lawyer owns
the real wording and issues it as a new version in the back office. Placeholders are
filled from the platform and its legal entity. Format: paragraphs separated by blank
lines, a line starting with "## " is a heading (`legal.markup`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sprechzeit.legal.partner_texts import (
    PARTNER_TERMS_DE,
    PARTNER_TERMS_EN,
    SELF_BILLING_DE,
    SELF_BILLING_EN,
)
from sprechzeit.platforms.models import Platform


@dataclass(frozen=True, slots=True)
class StarterText:
    kind: str
    title_de: str
    text_de: str
    title_en: str
    text_en: str


TERMS_DE = """## § 1 Geltungsbereich und Anbieter
Diese Allgemeinen Geschäftsbedingungen gelten für alle Verträge über Beratungen, die Sie über {platform} schließen. Anbieter und Ihr Vertragspartner für die Nutzung der Plattform und das Guthaben ist die {entity}, {address}.

## § 2 Leistungen
{platform} vermittelt Beratungen per Chat und Telefon mit selbständigen Beraterinnen und Beratern, die im Minutentakt abgerechnet werden. Die Beratungen dienen der Lebenshilfe und Unterhaltung; sie ersetzen keine ärztliche, psychotherapeutische, rechtliche oder steuerliche Beratung.

## § 3 Kundenkonto
Für Beratungen brauchen Sie ein Kundenkonto mit einer bestätigten E-Mail-Adresse. Sie müssen volljährig sein. Halten Sie Ihr Passwort und Ihre Telefon-PIN geheim.

## § 4 Guthaben und Preise
Beratungen werden aus einem vorausbezahlten Guthaben bezahlt. Der Minutenpreis steht vor jeder Beratung auf dem Profil der Beraterin oder des Beraters und enthält die gesetzliche Umsatzsteuer. Abgerechnet wird ab dem Beginn der Beratung im angezeigten Takt; reicht Ihr Guthaben nicht mehr, endet die Beratung, nachdem wir Sie gewarnt haben. Ein Startguthaben wird nicht ausgezahlt.

## § 5 Erstattung von Guthaben
Nicht verbrauchtes, eingezahltes Guthaben zahlen wir Ihnen auf Wunsch aus; Bonusguthaben ist davon ausgenommen. Schreiben Sie uns dazu über das Kontaktformular.

## § 6 Widerrufsrecht
Verbraucherinnen und Verbrauchern steht ein Widerrufsrecht nach der Widerrufsbelehrung zu. Bitten Sie vor Ihrer ersten Beratung ausdrücklich darum, dass die Beratung sofort beginnt, erlischt Ihr Widerrufsrecht für die jeweilige Beratung, sobald sie vollständig erbracht ist.

## § 7 Bewertungen und Verhalten
Bewertungen müssen wahr und sachlich sein. Beleidigende oder rechtswidrige Inhalte in Chats und Bewertungen dürfen wir entfernen und das Konto sperren.

## § 8 Haftung
Wir haften unbeschränkt bei Vorsatz und grober Fahrlässigkeit sowie bei Verletzung von Leben, Körper oder Gesundheit. Bei leicht fahrlässiger Verletzung wesentlicher Vertragspflichten ist die Haftung auf den vorhersehbaren, vertragstypischen Schaden begrenzt.

## § 9 Schlussbestimmungen
Es gilt deutsches Recht; zwingende Verbraucherschutzvorschriften Ihres Wohnsitzstaates bleiben unberührt. Wir nehmen nicht an Streitbeilegungsverfahren vor einer Verbraucherschlichtungsstelle teil und sind dazu nicht verpflichtet."""

TERMS_EN = """## 1 Scope and provider
These terms apply to every contract for consultations you conclude through {platform}. The provider and your contracting party for the platform and the credit is {entity}, {address}.

## 2 Services
{platform} arranges consultations by chat and telephone with independent advisers, billed per minute. Consultations are for life guidance and entertainment; they do not replace medical, psychotherapeutic, legal or tax advice.

## 3 Customer account
You need a customer account with a confirmed e-mail address. You must be of age. Keep your password and telephone PIN secret.

## 4 Credit and prices
Consultations are paid from prepaid credit. The price per minute is shown on the adviser's profile before every consultation and includes VAT. Billing starts when the consultation starts, in the increments shown; when your credit runs out the consultation ends after a warning. Welcome credit is not paid out.

## 5 Refund of credit
Unused credit you paid in is refunded on request; bonus credit is excluded. Write to us through the contact form.

## 6 Right of withdrawal
Consumers have a right of withdrawal as set out in the withdrawal notice. If you expressly ask before your first consultation that consultations start at once, your right of withdrawal for a consultation lapses once it has been fully performed.

## 7 Reviews and conduct
Reviews must be true and factual. We may remove offensive or unlawful content in chats and reviews and block the account.

## 8 Liability
We are liable without limitation for intent and gross negligence and for injury to life, body or health. For slightly negligent breach of essential contractual duties, liability is limited to the foreseeable damage typical of the contract.

## 9 Final provisions
German law applies; mandatory consumer protection rules of your country of residence remain unaffected. We do not take part in dispute resolution before a consumer arbitration board and are not obliged to."""

PRIVACY_DE = """## Verantwortlicher
Verantwortlich für die Verarbeitung Ihrer Daten auf {platform} ist die {entity}, {address}, E-Mail: {email}.

## Welche Daten wir verarbeiten
Bei der Registrierung Ihre E-Mail-Adresse, Ihren Vornamen, Ihr Passwort (nur als Hash) und Ihre Sprache; bei Beratungen Zeitpunkt, Dauer, Preis und den Chatverlauf; bei Zahlungen Betrag, Zahlungsart und die Referenz des Zahlungsdienstleisters; beim Aufruf der Seiten technisch notwendige Daten wie die IP-Adresse.

## Zwecke und Rechtsgrundlagen
Wir verarbeiten die Daten, um den Vertrag mit Ihnen zu erfüllen (Art. 6 Abs. 1 lit. b DSGVO), um gesetzliche Aufbewahrungs- und Steuerpflichten zu erfüllen (Art. 6 Abs. 1 lit. c DSGVO) und um Missbrauch und Betrug zu verhindern (Art. 6 Abs. 1 lit. f DSGVO). Ihre Einwilligungen speichern wir mit Zeitpunkt und Version des Textes als Nachweis.

## Empfänger
Zahlungsdienstleister erhalten die für die Zahlung nötigen Daten. Die Beraterin oder der Berater sieht Ihren Vornamen und den Chat der gemeinsamen Beratung. Unsere Hosting- und E-Mail-Dienstleister verarbeiten Daten in unserem Auftrag (Art. 28 DSGVO).

## Speicherdauer
Buchungen und Belege bewahren wir zehn Jahre auf (§ 147 AO, § 257 HGB), die übrigen Daten, solange Ihr Konto besteht, und löschen sie nach der Schließung, soweit keine Aufbewahrungspflicht besteht.

## Ihre Rechte
Sie haben das Recht auf Auskunft, Berichtigung, Löschung, Einschränkung der Verarbeitung, Datenübertragbarkeit und Widerspruch (Art. 15 bis 21 DSGVO). Eine Kopie Ihrer Daten laden Sie unter „Mein Konto“ herunter. Sie können sich bei einer Datenschutz-Aufsichtsbehörde beschweren.

## Cookies
Wir setzen nur technisch notwendige Cookies (Sitzung, Sprache, Schutz vor gefälschten Formularen) und keine Tracking-Cookies."""

PRIVACY_EN = """## Controller
The controller for processing your data on {platform} is {entity}, {address}, e-mail: {email}.

## What we process
At sign-up your e-mail address, first name, password (as a hash only) and language; for consultations the time, duration, price and the chat; for payments the amount, method and the payment provider's reference; when you visit the pages technically necessary data such as the IP address.

## Purposes and legal bases
We process the data to perform our contract with you (Art. 6(1)(b) GDPR), to meet statutory retention and tax duties (Art. 6(1)(c) GDPR) and to prevent abuse and fraud (Art. 6(1)(f) GDPR). We keep your consents with the time and the version of the text as evidence.

## Recipients
Payment providers receive the data needed for a payment. The adviser sees your first name and the chat of your consultation. Our hosting and e-mail providers process data on our behalf (Art. 28 GDPR).

## Retention
Bookings and receipts are kept for ten years (§ 147 AO, § 257 HGB); the other data for as long as your account exists, deleted after it is closed unless we must keep it.

## Your rights
You have the right of access, rectification, erasure, restriction, data portability and objection (Art. 15 to 21 GDPR). Download a copy of your data under "My account". You may complain to a data protection supervisory authority.

## Cookies
We only set technically necessary cookies (session, language, protection against forged forms) and no tracking cookies."""

WITHDRAWAL_DE = """## Widerrufsrecht
Sie haben das Recht, binnen vierzehn Tagen ohne Angabe von Gründen diesen Vertrag zu widerrufen. Die Widerrufsfrist beträgt vierzehn Tage ab dem Tag des Vertragsabschlusses.

Um Ihr Widerrufsrecht auszuüben, müssen Sie uns ({entity}, {address}, E-Mail: {email}) mittels einer eindeutigen Erklärung (zum Beispiel eine E-Mail) über Ihren Entschluss, diesen Vertrag zu widerrufen, informieren. Sie können dafür das untenstehende Muster-Widerrufsformular verwenden, das jedoch nicht vorgeschrieben ist. Zur Wahrung der Widerrufsfrist reicht es aus, dass Sie die Mitteilung über die Ausübung des Widerrufsrechts vor Ablauf der Widerrufsfrist absenden.

## Folgen des Widerrufs
Wenn Sie diesen Vertrag widerrufen, haben wir Ihnen alle Zahlungen, die wir von Ihnen erhalten haben, unverzüglich und spätestens binnen vierzehn Tagen ab dem Tag zurückzuzahlen, an dem die Mitteilung über Ihren Widerruf bei uns eingegangen ist. Für diese Rückzahlung verwenden wir dasselbe Zahlungsmittel, das Sie bei der ursprünglichen Transaktion eingesetzt haben, es sei denn, mit Ihnen wurde ausdrücklich etwas anderes vereinbart; in keinem Fall werden Ihnen wegen dieser Rückzahlung Entgelte berechnet.

Haben Sie verlangt, dass die Dienstleistungen während der Widerrufsfrist beginnen sollen, so haben Sie uns einen angemessenen Betrag zu zahlen, der dem Anteil der bis zu dem Zeitpunkt, zu dem Sie uns von der Ausübung des Widerrufsrechts unterrichten, bereits erbrachten Dienstleistungen im Vergleich zum Gesamtumfang der im Vertrag vorgesehenen Dienstleistungen entspricht.

## Erlöschen des Widerrufsrechts
Das Widerrufsrecht erlischt bei einem Vertrag über die Erbringung von Dienstleistungen, wenn wir die Dienstleistung vollständig erbracht haben und mit der Ausführung erst begonnen haben, nachdem Sie dazu Ihre ausdrückliche Zustimmung gegeben haben und gleichzeitig Ihre Kenntnis davon bestätigt haben, dass Sie Ihr Widerrufsrecht bei vollständiger Vertragserfüllung durch uns verlieren (§ 356 Abs. 4 BGB). Diese Zustimmung holen wir vor Ihrer ersten Beratung ein.

## Muster-Widerrufsformular
Wenn Sie den Vertrag widerrufen wollen, füllen Sie bitte dieses Formular aus und senden Sie es zurück.

An {entity}, {address}, E-Mail: {email}: Hiermit widerrufe(n) ich/wir den von mir/uns abgeschlossenen Vertrag über die Erbringung der folgenden Dienstleistung: … / Bestellt am: … / Name des/der Verbraucher(s): … / Anschrift des/der Verbraucher(s): … / Datum: …"""

WITHDRAWAL_EN = """## Right of withdrawal
You have the right to withdraw from this contract within fourteen days without giving any reason. The withdrawal period expires fourteen days after the day the contract was concluded.

To exercise the right of withdrawal, you must inform us ({entity}, {address}, e-mail: {email}) of your decision to withdraw from this contract by an unequivocal statement (for example an e-mail). You may use the model withdrawal form below, but it is not obligatory. To meet the withdrawal deadline, it is sufficient to send your communication before the withdrawal period has expired.

## Effects of withdrawal
If you withdraw from this contract, we shall reimburse all payments received from you without undue delay and in any event not later than fourteen days from the day on which we are informed about your decision. We will use the same means of payment as you used for the initial transaction, unless you have expressly agreed otherwise; in any event, you will not incur any fees as a result of such reimbursement.

If you requested the services to begin during the withdrawal period, you shall pay us an amount proportionate to what has been provided until you have communicated your withdrawal, in comparison with the full coverage of the contract.

## Lapse of the right of withdrawal
For a contract for services the right of withdrawal lapses once we have fully performed the service, if performance began only after you gave your express consent and at the same time acknowledged that you lose your right of withdrawal once we have fully performed the contract (§ 356(4) BGB). We ask for this consent before your first consultation.

## Model withdrawal form
If you want to withdraw from the contract, please complete and return this form.

To {entity}, {address}, e-mail: {email}: I/We hereby give notice that I/we withdraw from my/our contract for the provision of the following service: … / Ordered on: … / Name of consumer(s): … / Address of consumer(s): … / Date: …"""


def starter_texts(*, platform: Platform) -> list[StarterText]:
    """The starting texts (clients' three, partners' two), filled in for `platform` and its legal entity."""
    entity = platform.legal_entity
    values = {
        "platform": platform.name,
        "entity": entity.name,
        "address": f"{entity.street}, {entity.postal_code} {entity.city}",
        "email": platform.contact_email,
    }
    return [
        StarterText(
            "terms",
            "Allgemeine Geschäftsbedingungen",
            TERMS_DE.format(**values),
            "Terms and conditions",
            TERMS_EN.format(**values),
        ),
        StarterText(
            "privacy",
            "Datenschutzerklärung",
            PRIVACY_DE.format(**values),
            "Privacy notice",
            PRIVACY_EN.format(**values),
        ),
        StarterText(
            "withdrawal",
            "Widerrufsbelehrung",
            WITHDRAWAL_DE.format(**values),
            "Withdrawal notice",
            WITHDRAWAL_EN.format(**values),
        ),
        StarterText(
            "partner_terms",
            "Bedingungen für Beraterinnen und Berater",
            PARTNER_TERMS_DE.format(**values),
            "Terms for advisers",
            PARTNER_TERMS_EN.format(**values),
        ),
        StarterText(
            "self_billing",
            "Vereinbarung über das Gutschriftsverfahren",
            SELF_BILLING_DE.format(**values),
            "Self-billing agreement",
            SELF_BILLING_EN.format(**values),
        ),
    ]


@dataclass(frozen=True, slots=True)
class Block:
    heading: bool
    text: str


def text_blocks(text: str) -> list[Block]:
    """A document's text as headings and paragraphs (rendered escaped by the template)."""
    blocks: list[Block] = []
    for raw in text.replace("\r\n", "\n").split("\n\n"):
        chunk = raw.strip()
        if not chunk:
            continue
        if chunk.startswith("## "):
            heading, _newline, rest = chunk.partition("\n")
            blocks.append(Block(heading=True, text=heading[3:].strip()))
            if rest.strip():
                blocks.append(Block(heading=False, text=rest.strip()))
        else:
            blocks.append(Block(heading=False, text=chunk))
    return blocks
