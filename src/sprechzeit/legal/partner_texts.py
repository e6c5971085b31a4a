"""Starting texts for partners: the partner terms and the self-billing agreement
(Gutschriftsverfahren, § 14 Abs. 2 Satz 2 UStG) of a platform's operator.

Issued like the clients' texts (`legal.services.legal_documents_start`) as versioned,
immutable documents; a partner's onboarding records a consent to the versions in force
(`Consent.Purpose.PARTNER_TERMS`, `SELF_BILLING`). The operator's lawyer owns the wording.
"""

from __future__ import annotations

PARTNER_TERMS_DE = """## § 1 Vertragspartner
Dieser Vertrag regelt Ihre Tätigkeit als selbständige Beraterin oder selbständiger Berater auf {platform}. Vertragspartner ist die {entity}, {address}.

## § 2 Ihre Leistungen
Sie beraten Klientinnen und Klienten per Chat und Telefon in eigener Verantwortung und sind an keine Arbeitszeiten gebunden. Sie beraten wahrhaftig und respektvoll und geben keine ärztlichen, rechtlichen oder steuerlichen Ratschläge.

## § 3 Vergütung
Sie erhalten für jede abgerechnete Minute Ihren Anteil am Minutenpreis Ihres Profils. Der Betreiber trägt das Zahlungsausfallrisiko: Sie stellen keine Rechnungen, mahnen nicht und tragen keine Ausfälle.

## § 4 Profil
Texte und Fotos Ihres Profils müssen von Ihnen stammen und wahr sein. Der Betreiber kann Änderungen vor der Veröffentlichung prüfen.

## § 5 Sperre und Kündigung
Der Betreiber kann Ihr Konto bei Verstößen gegen diese Bedingungen sperren. Beide Seiten können den Vertrag mit einer Frist von vier Wochen kündigen."""

PARTNER_TERMS_EN = """## 1 Parties
This contract governs your work as an independent adviser on {platform}. Your contracting party is {entity}, {address}.

## 2 Your services
You advise clients by chat and telephone on your own responsibility and are bound to no working hours. You advise truthfully and respectfully and give no medical, legal or tax advice.

## 3 Remuneration
For every billed minute you receive your share of your profile's per-minute rate. The operator carries the risk of non-payment: you issue no invoices, send no reminders and bear no defaults.

## 4 Profile
Texts and photos of your profile must be your own and true. The operator may review changes before they are published.

## 5 Suspension and termination
The operator may suspend your account for breaches of these terms. Either side may terminate with four weeks' notice."""

SELF_BILLING_DE = """## Vereinbarung über die Abrechnung per Gutschrift
Sie und die {entity}, {address}, vereinbaren nach § 14 Abs. 2 Satz 2 UStG, dass die {entity} über Ihre Leistungen auf {platform} mit Gutschriften abrechnet.

## Ablauf
Die {entity} stellt Ihnen nach jedem Abrechnungszeitraum eine Gutschrift mit allen Pflichtangaben aus und zahlt den Betrag auf Ihr Konto aus. Sie prüfen die Gutschrift und widersprechen innerhalb von vier Wochen, wenn etwas nicht stimmt.

## Ihre Angaben
Sie halten Ihre Steuernummer oder USt-IdNr., Ihren Umsatzsteuerstatus und Ihre Bankverbindung aktuell. Ohne sie werden Gutschriften zurückgehalten."""

SELF_BILLING_EN = """## Agreement on self-billing
You and {entity}, {address}, agree under § 14(2) sentence 2 UStG that {entity} bills your services on {platform} by credit notes (self-billing).

## Procedure
After each billing period {entity} issues a credit note with all required details and pays the amount to your account. You check the credit note and object within four weeks if anything is wrong.

## Your details
You keep your tax number or VAT ID, your VAT status and your bank details up to date. Without them credit notes are held back."""
