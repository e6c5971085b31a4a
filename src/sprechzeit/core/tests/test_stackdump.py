"""The stack dumps of a living server process (`core.stackdump`): SIGUSR1 writes every
thread's stack, SIGUSR2 every asyncio task's, to standard error. Run in a process of its
own, so that the signals of the test never reach the test runner."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent(
    """
    import asyncio, os, signal, threading, time

    from sprechzeit.core.stackdump import stack_dump_install

    def blocked_in_a_thread(release):
        release.wait()

    async def socket_waiting_for_its_peer(event):
        await event.wait()

    async def main():
        loop = asyncio.get_running_loop()
        assert stack_dump_install(loop)
        assert not stack_dump_install(loop)  # once per process
        release = threading.Event()
        threading.Thread(target=blocked_in_a_thread, args=(release,), name="io").start()
        waiting = asyncio.create_task(socket_waiting_for_its_peer(asyncio.Event()))
        await asyncio.sleep(0.05)
        os.kill(os.getpid(), signal.SIGUSR1)
        os.kill(os.getpid(), signal.SIGUSR2)
        await asyncio.sleep(0.2)
        release.set()
        waiting.cancel()

    asyncio.run(main())
    print("alive")
    """
)


def test_the_signals_dump_threads_and_tasks_and_the_process_lives_on() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "alive"  # neither signal ended the process
    # SIGUSR1: every thread, with the function the other thread is blocked in.
    assert "blocked_in_a_thread" in done.stderr
    assert done.stderr.count("hread 0x") >= 2  # "Current thread 0x…", "Thread 0x…"
    # SIGUSR2: every task of the loop, with the coroutine and where it waits.
    assert "asyncio tasks of process" in done.stderr
    assert "socket_waiting_for_its_peer" in done.stderr
    assert "await event.wait()" in done.stderr
