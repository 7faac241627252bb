"""Runs the three processes: stops all on Ctrl-C/SIGTERM, stops all when one dies."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import aiohttp

STOP_GRACE_SECONDS = 20.0
READY_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class Service:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    health_url: str
    cwd: str | None = None


async def supervise(services: Sequence[Service], on_ready: Callable[[], None]) -> int:
    """Returns 0 after a requested stop, 1 when a service died or never became ready."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    processes = {}
    for service in services:
        processes[service.name] = await asyncio.create_subprocess_exec(
            *service.argv, env=dict(service.env), cwd=service.cwd, start_new_session=True
        )
    exits = {asyncio.create_task(proc.wait()): name for name, proc in processes.items()}
    stop_task = asyncio.create_task(stop.wait())
    ready_task = asyncio.create_task(_wait_ready(services))
    pending: set[asyncio.Task] = {*exits, stop_task, ready_task}
    reason = None
    while reason is None and not stop.is_set():
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task in exits:
                reason = f"{exits[task]} exited with code {task.result()}"
            elif task is ready_task:
                if task.result():
                    on_ready()
                else:
                    reason = f"not ready after {READY_TIMEOUT_SECONDS:.0f} s"
    for task in pending:
        task.cancel()
    await _stop_all(processes)
    if reason:
        print(f"fusion: stopping everything: {reason}", file=sys.stderr, flush=True)
        return 1
    print("fusion: stopped", flush=True)
    return 0


async def _wait_ready(services: Sequence[Service]) -> bool:
    deadline = asyncio.get_running_loop().time() + READY_TIMEOUT_SECONDS
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        for service in services:
            while not await _answers(http, service.health_url):
                if asyncio.get_running_loop().time() > deadline:
                    return False
                await asyncio.sleep(0.5)
    return True


async def _answers(http: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with http.get(url) as response:
            return response.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False


async def _stop_all(processes: Mapping[str, asyncio.subprocess.Process]) -> None:
    running = [p for p in processes.values() if p.returncode is None]
    for proc in running:
        _signal_group(proc, signal.SIGTERM)
    try:
        await asyncio.wait_for(asyncio.gather(*(p.wait() for p in running)), STOP_GRACE_SECONDS)
    except asyncio.TimeoutError:
        for proc in running:
            if proc.returncode is None:
                _signal_group(proc, signal.SIGKILL)
        await asyncio.gather(*(p.wait() for p in running))


def _signal_group(proc: asyncio.subprocess.Process, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
