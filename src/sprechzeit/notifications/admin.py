"""Sent mail in the back office: a read-only list (in the demo, the place to see what
went out without a mail server)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from sprechzeit.core.admin import ReadOnlyAdmin
from sprechzeit.notifications.models import OutboundMail


@admin.register(OutboundMail)
class OutboundMailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "platform", "to_email", "template", "language", "status"]
    list_filter = ["status", "template", "platform", "language"]
    search_fields = ["to_email", "subject", "key"]
    readonly_fields = [
        "created_at",
        "sent_at",
        "platform",
        "to_email",
        "from_email",
        "template",
        "language",
        "key",
        "status",
        "attempts",
        "last_error",
        "subject",
        "body_text",
        "preview",
    ]
    exclude = ["user", "body_html", "attachments"]

    @admin.display(description=_("Vorschau (HTML)"))
    def preview(self, obj: OutboundMail) -> SafeString:
        # A sandboxed frame: the mail's HTML cannot run script or reach the admin's page.
        return format_html(
            '<iframe sandbox srcdoc="{}" style="width:100%;height:480px;border:1px solid #ccc;"'
            ' title="{}"></iframe>',
            obj.body_html,
            obj.subject,
        )
