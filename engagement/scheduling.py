"""The engagement service's clock-driven jobs (APScheduler 3 only ticks; the work and its
record live in our tables, so a missed or doubled tick changes nothing)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


def build_scheduler(jobs: dict[str, tuple[Job, int]]) -> AsyncIOScheduler:
    """One interval job per entry: ``{job id: (coroutine function, every N seconds)}``.

    ``coalesce`` folds ticks missed while the loop was busy into one run, and a grace of a
    whole interval keeps a late tick instead of silently dropping it (the default is 1 s).
    """
    scheduler = AsyncIOScheduler(timezone="UTC")
    for job_id, (job, seconds) in jobs.items():
        scheduler.add_job(
            _logged(job_id, job), "interval", seconds=seconds, id=job_id,
            replace_existing=True, coalesce=True, max_instances=1, misfire_grace_time=seconds,
        )  # fmt: skip
    return scheduler


def _logged(job_id: str, job: Job) -> Job:
    async def run() -> object:
        try:
            result = await job()
            log.info("job %s: %s", job_id, result)
            return result
        except Exception:
            log.exception("job %s failed; it runs again at the next tick", job_id)
            return None

    return run


def scheduler_context(
    scheduler: AsyncIOScheduler,
) -> Callable[[object], AsyncIterator[None]]:
    async def ctx(_: object) -> AsyncIterator[None]:
        scheduler.start()
        yield
        scheduler.shutdown(wait=False)

    return ctx
