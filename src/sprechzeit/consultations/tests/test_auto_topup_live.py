"""The automatic top-up mid-chat over real WebSockets: at the first warning the client's
saved method is charged (the sandbox's, which succeeds at once), the credit extends the
live consultation, and the cut-off moves; the monthly cap holds at the next warning.
Mid-chat the balance is the booked one less what the chat has used (its hold keeps the
booked balance unchanged): a threshold below the starting balance is reached too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache

from sprechzeit.consultations.realtime import timebase
from sprechzeit.consultations.realtime.timebase import ManualTimebase
from sprechzeit.consultations.tests.factories import Scene
from sprechzeit.consultations.tests.test_realtime import check, live, make_scene, run_until
from sprechzeit.payments.models import ProviderKind
from sprechzeit.payments.saved_models import MethodCharge, SavedMethod
from sprechzeit.payments.services import saved
from sprechzeit.payments.tests.factories import channel, eur, provider_config

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def manual_clock() -> Iterator[ManualTimebase]:
    manual = ManualTimebase(datetime.now(tz=UTC).replace(microsecond=0))
    with timebase.use(manual):
        yield manual


@pytest.fixture(autouse=True)
def _in_memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    cache.clear()


def _saved_card(s: Scene, threshold_minor: int = 1000) -> SavedMethod:
    config = provider_config(s.platform, ProviderKind.SANDBOX)
    policy = channel(config, "sandbox", min_minor=500)
    setup, _url = saved.method_setup_start(
        client_account=s.client,
        policy=policy,
        first_amount=None,
        return_url="https://x.example/{id}/",
        cancel_url="https://x.example/",
        webhook_url="https://x.example/hook/",
    )
    method = saved.method_setup_finish(setup=setup)
    assert method is not None
    saved.auto_topup_set(
        client_account=s.client,
        method=method,
        threshold=eur(threshold_minor),
        amount=eur(1000),
        monthly_cap=eur(1000),
    )
    return method


async def test_auto_topup_at_the_warning_extends_the_chat_once(
    manual_clock: ManualTimebase,
) -> None:
    s = await make_scene(balance_minor=500, rate_minor=200)
    method = await database_sync_to_async(_saved_card)(s)
    _consultation, client, partner = await live(s, manual_clock)
    # 5,00 € at 2,00 €/min: 150 s; the first warning (120 s before) comes at 30 s.
    await run_until(manual_clock, [client, partner], 40, step=1)
    assert client.of("warning")
    extended = await client.expect("extended")
    assert extended["state"]["paid_seconds"] == 450  # 15,00 € at 2,00 €/min
    charges = await database_sync_to_async(
        lambda: list(MethodCharge.objects.filter(method=method, automatic=True))
    )()
    assert len(charges) == 1
    # The cap (10 € a month) is used: the next warning charges nothing more, and the
    # consultation ends at the balance.
    await run_until(manual_clock, [client, partner], 452, step=2)
    assert (await client.expect("settled"))["summary"]["amount_minor"] == 1500
    assert await database_sync_to_async(MethodCharge.objects.count)() == 1
    assert await check(s) == 0
    await client.close()
    await partner.close()


async def test_auto_topup_when_what_the_chat_used_brings_the_balance_below_the_threshold(
    manual_clock: ManualTimebase,
) -> None:
    s = await make_scene(balance_minor=500, rate_minor=200)
    method = await database_sync_to_async(_saved_card)(s, 300)
    _consultation, client, partner = await live(s, manual_clock)
    # 5,00 € at 2,00 €/min: 150 s. At the first warning (30 s) 1,00 € is used: 4,00 € left,
    # above the 3,00 € threshold, nothing is charged …
    await run_until(manual_clock, [client, partner], 40, step=1)
    assert len(client.of("warning")) == 1
    count = database_sync_to_async(MethodCharge.objects.filter(method=method).count)
    assert await count() == 0
    # … at the second (90 s) 3,00 € is used: 2,00 € left, below it: 10,00 € are charged.
    await run_until(manual_clock, [client, partner], 100, step=1)
    extended = await client.expect("extended")
    assert extended["state"]["paid_seconds"] == 450
    assert await count() == 1
    await run_until(manual_clock, [client, partner], 452, step=2)
    assert (await client.expect("settled"))["summary"]["amount_minor"] == 1500
    assert await check(s) == 0
    await client.close()
    await partner.close()
