"""Waiting for an operator to stop a long-running command."""

import asyncio
import signal


async def until_stopped(stop: asyncio.Event | None = None) -> None:
    """Return on SIGINT (Ctrl-C) or SIGTERM, so the caller's cleanup runs, or when `stop` is set."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
