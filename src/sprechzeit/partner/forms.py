from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sprechzeit.accounts.models import Category, Listing
from sprechzeit.consultations.services.video import video_limits
from sprechzeit.core.images import ReencodedImageFormField
from sprechzeit.core.inputs import InvalidInput, amount_parse


class ListingForm(forms.Form):
    display_name = forms.CharField(label=_("Anzeigename"), max_length=100)
    headline = forms.CharField(label=_("Kurzvorstellung"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Beschreibung"), widget=forms.Textarea(attrs={"rows": 8}), required=False
    )
    rate = forms.CharField(
        label=_("Preis pro Minute (€)"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Kategorien"),
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    video_enabled = forms.BooleanField(label=_("Videoberatung anbieten"), required=False)
    video_rate = forms.CharField(
        label=_("Minutenpreis für Video (€)"),
        max_length=8,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    # Re-encoded by Pillow under a random name (core.images); refused with a form error else.
    photo = ReencodedImageFormField(
        label=_("Foto (JPEG, PNG oder WebP, höchstens 2 MB)"), required=False
    )

    def __init__(self, *args: Any, listing: Listing, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listing = listing
        self.fields["categories"].queryset = Category.objects.filter(platform=listing.platform)  # type: ignore[attr-defined]
        platform = listing.platform
        self.fields["rate"].help_text = _("zwischen %(min)s und %(max)s €") % {
            "min": f"{Decimal(platform.rate_min_minor) / 100:.2f}".replace(".", ","),
            "max": f"{Decimal(platform.rate_max_minor) / 100:.2f}".replace(".", ","),
        }
        limits = video_limits(platform)
        if limits.allowed:
            self.fields["video_rate"].help_text = _("zwischen %(min)s und %(max)s €") % {
                "min": f"{Decimal(limits.rate_min_minor) / 100:.2f}".replace(".", ","),
                "max": f"{Decimal(limits.rate_max_minor) / 100:.2f}".replace(".", ","),
            }
        else:
            # The platform offers no video: nothing to choose.
            del self.fields["video_enabled"]
            del self.fields["video_rate"]

    def clean_video_rate(self) -> int | None:
        """Empty, or a rate within the platform's video limits (checked again by
        `listing_video_set`)."""
        raw = self.cleaned_data["video_rate"].strip()
        if not raw:
            return None
        limits = video_limits(self.listing.platform)
        try:
            rate = amount_parse(
                raw,
                currency=self.listing.platform.currency,
                field="video_rate",
                message=_("Bitte einen Betrag wie 1,99 eingeben."),
            )
        except InvalidInput as refused:
            raise ValidationError(str(refused.message), code=refused.code) from None
        if not limits.rate_min_minor <= rate.minor <= limits.rate_max_minor:
            raise ValidationError(self.fields["video_rate"].help_text)
        return rate.minor

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("video_enabled") and not data.get("video_rate") and not self.errors:
            self.add_error("video_rate", _("Für Video bitte einen Preis angeben."))
        return data

    def clean_rate(self) -> int:
        platform = self.listing.platform
        try:
            rate = amount_parse(
                self.cleaned_data["rate"],
                currency=platform.currency,
                field="rate",
                message=_("Bitte einen Betrag wie 1,99 eingeben."),
            )
        except InvalidInput as refused:
            raise ValidationError(str(refused.message), code=refused.code) from None
        if not platform.rate_min_minor <= rate.minor <= platform.rate_max_minor:
            raise ValidationError(self.fields["rate"].help_text)
        return rate.minor
