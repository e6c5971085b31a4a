"""A server process stores its sockets' heartbeats in batches (`realtime.beats`): one
write for everything noted within a second, reads that see what is noted but not yet
stored, a clean close written at once, and a stored heartbeat that never goes back in
time. The store is the tests' in-memory cache; the writes are counted."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from sprechzeit.consultations import heartbeats
from sprechzeit.consultations.heartbeats import heartbeats_last
from sprechzeit.consultations.realtime import beats

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, float]]]:
    """Every batch written, in order (and written to the cache as usual)."""
    cache.clear()
    written: list[dict[str, float]] = []
    real = heartbeats.heartbeats_record_many

    def record(*, stamps: dict[str, float]) -> None:
        written.append(dict(stamps))
        real(stamps=stamps)

    monkeypatch.setattr(beats, "heartbeats_record_many", record)
    monkeypatch.setattr(beats, "FLUSH_SECONDS", 0.05)
    yield written
    cache.clear()


async def test_the_notes_of_a_window_are_written_once_together(
    writes: list[dict[str, float]],
) -> None:
    rooms = [uuid.uuid4() for _ in range(50)]
    for second in (1, 2, 3):
        for room in rooms:
            beats.heartbeat_note(consultation_id=room, role="client", at=at(second))
            beats.heartbeat_note(consultation_id=room, role="partner", at=at(second + 0.5))
    assert writes == []  # nothing written on the loop's turn
    await asyncio.sleep(0.2)
    assert len(writes) == 1
    assert len(writes[0]) == 100  # one entry per socket, its latest heartbeat
    for room in rooms[:3]:
        assert heartbeats_last(consultation_id=room) == {"client": at(3), "partner": at(3.5)}
    # A note after the write starts the next window.
    beats.heartbeat_note(consultation_id=rooms[0], role="client", at=at(9))
    await asyncio.sleep(0.2)
    assert [list(batch.values()) for batch in writes[1:]] == [[at(9).timestamp()]]


async def test_an_older_note_never_replaces_a_newer_one(writes: list[dict[str, float]]) -> None:
    room = uuid.uuid4()
    beats.heartbeat_note(consultation_id=room, role="client", at=at(10))
    beats.heartbeat_note(consultation_id=room, role="client", at=at(4))
    await asyncio.sleep(0.2)
    assert heartbeats_last(consultation_id=room) == {"client": at(10)}


async def test_a_read_sees_what_is_noted_here_before_it_is_stored(
    writes: list[dict[str, float]],
) -> None:
    room = uuid.uuid4()
    heartbeats.heartbeat_record(consultation_id=room, role="partner", at=at(20))
    heartbeats.heartbeat_record(consultation_id=room, role="client", at=at(5))
    beats.heartbeat_note(consultation_id=room, role="client", at=at(12))
    assert heartbeats_last(consultation_id=room)["client"] == at(5)  # not yet stored
    assert await beats.heartbeats_seen(consultation_id=room) == {
        "client": at(12),
        "partner": at(20),  # another process's, from the store
    }
    await asyncio.sleep(0.2)
    assert heartbeats_last(consultation_id=room)["client"] == at(12)


async def test_a_batch_written_while_a_read_is_in_flight_is_still_seen(
    writes: list[dict[str, float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read looks at the store before the batch lands; the batch then leaves
    `writing` before the read returns. The answer must hold the batch's heartbeat, not
    the older stored one (under load the peer's presence check ended a live room with
    `timeout` that way)."""
    room = uuid.uuid4()
    heartbeats.heartbeat_record(consultation_id=room, role="client", at=at(5))
    release_write, looked, release_read = threading.Event(), threading.Event(), threading.Event()
    record, last_many = heartbeats.heartbeats_record_many, heartbeats.heartbeats_last_many

    def slow_write(*, stamps: dict[str, float]) -> None:
        release_write.wait(5)
        writes.append(dict(stamps))
        record(stamps=stamps)

    def slow_read(*, consultation_ids: list[str]) -> dict[str, dict[str, datetime]]:
        stored = last_many(consultation_ids=consultation_ids)
        looked.set()
        release_read.wait(5)
        return stored

    monkeypatch.setattr(beats, "heartbeats_record_many", slow_write)
    monkeypatch.setattr(beats, "heartbeats_last_many", slow_read)
    beats.heartbeat_note(consultation_id=room, role="client", at=at(50))
    await asyncio.sleep(0.1)  # the window closed: the batch with 50 is being written
    seen = asyncio.ensure_future(beats.heartbeats_seen(consultation_id=room))
    assert await asyncio.to_thread(looked.wait, 5)  # the read saw the store: 5
    release_write.set()
    for _ in range(100):
        if writes:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # the flush left `writing`
    assert heartbeats_last(consultation_id=room) == {"client": at(50)}
    release_read.set()
    assert (await asyncio.wait_for(seen, 5))["client"] == at(50)


async def test_a_clean_close_is_written_at_once_and_after_any_batch_in_flight(
    writes: list[dict[str, float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch taken before the close and still being written must not land after the
    close's heartbeat and take it back."""
    room = uuid.uuid4()
    release = threading.Event()
    first = True
    real = heartbeats.heartbeats_record_many

    def slow_first(*, stamps: dict[str, float]) -> None:
        nonlocal first
        if first:
            first = False
            release.wait(5)
        writes.append(dict(stamps))
        real(stamps=stamps)

    monkeypatch.setattr(beats, "heartbeats_record_many", slow_first)
    beats.heartbeat_note(consultation_id=room, role="client", at=at(30))
    await asyncio.sleep(0.1)  # the window closed: the batch with 30 is being written
    # Being written, it is still seen.
    assert (await beats.heartbeats_seen(consultation_id=room))["client"] == at(30)
    closing = asyncio.ensure_future(
        beats.heartbeat_write_now(consultation_id=room, role="client", at=at(33))
    )
    await asyncio.sleep(0.05)
    assert not closing.done()  # waits for the batch in flight
    release.set()
    await asyncio.wait_for(closing, 5)
    assert [list(batch.values()) for batch in writes] == [
        [at(30).timestamp()],
        [at(33).timestamp()],
    ]
    assert heartbeats_last(consultation_id=room) == {"client": at(33)}


async def test_a_store_that_fails_loses_one_window_and_the_next_one_is_written(
    writes: list[dict[str, float]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    room = uuid.uuid4()
    failures = [ConnectionError("Redis is away")]
    real = heartbeats.heartbeats_record_many

    def flaky(*, stamps: dict[str, float]) -> None:
        if failures:
            raise failures.pop()
        writes.append(dict(stamps))
        real(stamps=stamps)

    monkeypatch.setattr(beats, "heartbeats_record_many", flaky)
    beats.heartbeat_note(consultation_id=room, role="client", at=at(40))
    await asyncio.sleep(0.2)
    assert "storing heartbeats failed" in caplog.text
    assert heartbeats_last(consultation_id=room) == {}
    beats.heartbeat_note(consultation_id=room, role="client", at=at(45))
    await asyncio.sleep(0.2)
    assert heartbeats_last(consultation_id=room) == {"client": at(45)}


async def test_the_reads_of_a_window_are_one_round_trip(
    writes: list[dict[str, float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    rooms = [uuid.uuid4() for _ in range(30)]
    for index, room in enumerate(rooms):
        heartbeats.heartbeat_record(consultation_id=room, role="client", at=at(index))
    reads: list[list[str]] = []
    real = heartbeats.heartbeats_last_many

    def counted(*, consultation_ids: list[str]) -> dict[str, dict[str, datetime]]:
        reads.append(list(consultation_ids))
        return real(consultation_ids=consultation_ids)

    monkeypatch.setattr(beats, "heartbeats_last_many", counted)
    # Two sockets of one room ask too (both sides' presence checks at once).
    asked = [*rooms, rooms[0]]
    seen = await asyncio.gather(*(beats.heartbeats_seen(consultation_id=r) for r in asked))
    assert len(reads) == 1
    assert sorted(reads[0]) == sorted(str(room) for room in rooms)
    assert [answer.get("client") for answer in seen] == [
        *(at(index) for index in range(30)),
        at(0),
    ]
    assert all("partner" not in answer for answer in seen)


async def test_a_failed_read_fails_every_socket_that_asked_and_the_next_read_works(
    writes: list[dict[str, float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    rooms = [uuid.uuid4() for _ in range(3)]
    real = heartbeats.heartbeats_last_many
    failures = [ConnectionError("Redis is away")]

    def flaky(*, consultation_ids: list[str]) -> dict[str, dict[str, datetime]]:
        if failures:
            raise failures.pop()
        return real(consultation_ids=consultation_ids)

    monkeypatch.setattr(beats, "heartbeats_last_many", flaky)
    answers = await asyncio.gather(
        *(beats.heartbeats_seen(consultation_id=r) for r in rooms), return_exceptions=True
    )
    assert all(isinstance(answer, ConnectionError) for answer in answers)
    heartbeats.heartbeat_record(consultation_id=rooms[0], role="partner", at=at(7))
    assert await beats.heartbeats_seen(consultation_id=rooms[0]) == {"partner": at(7)}
