"""What a server process is doing right now, on a signal: the first thing to look at when
a socket stops answering while the process lives.

- `SIGUSR1`: the Python stack of every thread (`faulthandler`, written from C, so it
  answers even when the event loop or the interpreter lock is held).
- `SIGUSR2`: the stack of every asyncio task of the server's event loop (each socket's
  consumer, its meter, the probes): where each one waits.

Both go to standard error (the node's journal): `kill -USR1 <pid>`, `kill -USR2 <pid>`.
Installed once per process by the first socket (`loop_watch_ensure`), on the loop of the
main thread only (signals reach only that thread).
"""

from __future__ import annotations

import asyncio
import faulthandler
import io
import os
import signal
import sys
import threading

_INSTALLED: set[int] = set()


def stack_dump_install(loop: asyncio.AbstractEventLoop) -> bool:
    """Install both signals for this process on `loop`; False where signals cannot be
    handled (not the main thread, a platform without them) or already installed."""
    if os.getpid() in _INSTALLED or threading.current_thread() is not threading.main_thread():
        return False
    if not hasattr(signal, "SIGUSR1"):
        return False
    try:
        loop.add_signal_handler(signal.SIGUSR2, tasks_dump, loop)
    except (NotImplementedError, RuntimeError, ValueError):
        return False
    faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True, chain=False)
    _INSTALLED.add(os.getpid())
    return True


def tasks_text(loop: asyncio.AbstractEventLoop) -> str:
    """Every unfinished task of `loop` with the stack it waits in."""
    out = io.StringIO()
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    out.write(f"--- {len(tasks)} asyncio tasks of process {os.getpid()}\n")
    for task in tasks:
        task.print_stack(limit=30, file=out)
    return out.getvalue()


def tasks_dump(loop: asyncio.AbstractEventLoop) -> None:
    sys.stderr.write(tasks_text(loop))
    sys.stderr.flush()
