"""The client's pages of the accounting app: billing details (country, VAT ID, business,
invoice address) and the download of their monthly invoices. Thin: the client of the
logged-in user on this platform's host, or a 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from sprechzeit.accounting.billing import client_billing_save
from sprechzeit.accounting.forms import ClientBillingForm
from sprechzeit.accounting.invoice_pdf import client_invoice_pdf
from sprechzeit.accounting.models import ClientBilling, ClientInvoice
from sprechzeit.accounts.errors import InvalidVatId
from sprechzeit.accounts.models import ClientAccount
from sprechzeit.platforms.http import PlatformRequest


def _client_of(request: PlatformRequest) -> ClientAccount:
    platform = request.platform
    client = ClientAccount.objects.filter(user_id=request.user.pk or 0).first()
    if client is None or platform is None or client.platform_id != platform.pk:
        raise Http404
    return client


def _initial(client: ClientAccount) -> dict[str, object]:
    billing = ClientBilling.objects.filter(client=client).first()
    initial: dict[str, object] = {"country": client.country, "vat_id": client.vat_id}
    if billing is not None:
        initial.update(
            is_business=billing.is_business,
            name=billing.name,
            street=billing.street,
            postal_code=billing.postal_code,
            city=billing.city,
        )
    return initial


@login_required
def client_billing(request: PlatformRequest) -> HttpResponse:
    client = _client_of(request)
    form = ClientBillingForm(request.POST or None, initial=_initial(client))
    saved = None
    if request.method == "POST" and form.is_valid():
        try:
            saved = client_billing_save(client=client, **form.cleaned_data)
        except InvalidVatId as exc:
            field = str(exc.fields.get("field", "vat_id"))
            form.add_error(field if field in form.fields else None, str(exc.message))
    invoices = ClientInvoice.objects.filter(client=client).order_by("-period_start", "-pk")
    return render(
        request,
        "accounting/client_billing.html",
        {"form": form, "saved": saved, "account": client, "invoices": invoices},
    )


def _own_invoice_file(request: PlatformRequest, pk: int, kind: str) -> HttpResponse:
    """The signed-in client's invoice `pk` as a download (404 for anyone else's)."""
    invoice = get_object_or_404(ClientInvoice, pk=pk, client=_client_of(request))
    if kind == "pdf":
        response = HttpResponse(client_invoice_pdf(invoice), content_type="application/pdf")
    else:
        response = HttpResponse(bytes(invoice.xml), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.{kind}"'
    return response


@login_required
def client_invoice_pdf_download(request: PlatformRequest, pk: int) -> HttpResponse:
    """The invoice as ZUGFeRD PDF (the stored XML attached)."""
    return _own_invoice_file(request, pk, "pdf")


@login_required
def client_invoice_xml(request: PlatformRequest, pk: int) -> HttpResponse:
    return _own_invoice_file(request, pk, "xml")
