"""What operators see of our aiohttp servers (the engagement service and the action server):
``/metrics`` in the Prometheus text format, and log lines in JSON that carry the id of the
request they belong to, with every configured secret masked.

Each application has its own metrics registry (no process-wide state): two applications
in one test process never mix their figures."""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import IO, Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from engagement.services.operations import OperatingFigures

# The request being handled by the current task, for the log lines it writes.
REQUEST_ID: ContextVar[str] = ContextVar("fusion_request_id", default="-")
REQUEST_ID_HEADER = "X-Request-Id"
_GIVEN_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")  # an id from a proxy, taken as it is
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FiguresSource = Callable[[], Awaitable[OperatingFigures]]

log = logging.getLogger(__name__)


class Telemetry:
    """One application's metrics: request latency by route, and the operating figures read
    from the database at each scrape (``figures``), the same on every instance."""

    def __init__(
        self, service: str, figures: FiguresSource | None = None, token: str | None = None,
        *, host: str = "127.0.0.1",
    ) -> None:  # fmt: skip
        """``host``: the address the service listens on. Without ``token``, ``/metrics``
        answers only when that is loopback (nothing but this machine can ask)."""
        self.registry = CollectorRegistry(auto_describe=True)
        self._service = service
        self._token = token
        self._loopback_only = is_loopback(host)
        self.latency = Histogram(
            "fusion_http_request_duration_seconds",
            "Time to answer an HTTP request, by route and status",
            ["service", "method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.actions = Counter(
            "fusion_action_calls",
            "Custom action calls from Rasa, by action and outcome",
            ["action", "outcome"],
            registry=self.registry,
        )
        self._source = figures
        self._collector = _FiguresCollector()
        if figures is not None:
            self.registry.register(self._collector)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _GIVEN_ID.fullmatch(given) else uuid.uuid4().hex
        reset = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            if not response.prepared:
                response.headers[REQUEST_ID_HEADER] = request_id
            return response
        except web.HTTPException as exc:
            status = exc.status
            exc.headers[REQUEST_ID_HEADER] = request_id
            raise
        finally:
            route = route_of(request)
            self.latency.labels(self._service, request.method, route, str(status)).observe(
                time.perf_counter() - started
            )
            REQUEST_ID.reset(reset)

    async def metrics(self, request: web.Request) -> web.Response:
        """``GET /metrics``; with FUSION_METRICS_TOKEN set, only with it as a bearer token;
        without it, only on a service that listens on loopback alone (the figures are the
        business's: customers, points, coupons)."""
        if self._token is None and not self._loopback_only:
            return web.json_response({"error": "set FUSION_METRICS_TOKEN: /metrics shows "
                                      "business figures and this service listens beyond "
                                      "loopback"}, status=403)  # fmt: skip
        if self._token is not None and not _bearer_matches(request, self._token):
            return web.json_response({"error": "the metrics token is missing or wrong"}, status=401)
        if self._source is not None:
            try:
                self._collector.figures = await self._source()
            except Exception:  # the latency figures are still worth serving
                log.warning("metrics: the database did not answer", exc_info=True)
                self._collector.figures = None
        return web.Response(
            body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )


def route_of(request: web.BaseRequest) -> str:
    """The pattern of the route that answered (``/api/v1/customers/{id}``), ``unmatched``
    when none did: what logs and metrics name, never the path, whose segments may be a
    customer's id, a conversation's or a personal link's code."""
    match_info = getattr(request, "match_info", None)  # None before routing
    resource = match_info.route.resource if match_info is not None else None
    return resource.canonical if resource is not None else "unmatched"


class RouteAccessLog(AbstractAccessLogger):
    """aiohttp's access log (``web.run_app(..., access_log_class=RouteAccessLog)``) with the
    route's pattern in place of the request line, which kept ids in clear (``GET
    /api/v1/customers/lea``) and query strings; no Referer either (a console page's address).
    The line carries the request's id, as the handler's own lines do."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        reset = REQUEST_ID.set(response.headers.get(REQUEST_ID_HEADER, "-"))
        try:
            self.logger.info(
                '%s "%s %s" %s %s %.1fms', request.remote, request.method, route_of(request),
                response.status, response.body_length, time * 1000,
            )  # fmt: skip
        finally:
            REQUEST_ID.reset(reset)


def is_loopback(host: str) -> bool:
    """127.0.0.1, ::1, localhost: a listening address only this machine reaches."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _bearer_matches(request: web.Request, token: str) -> bool:
    """Compares bytes in constant time: undecodable header bytes, which aiohttp hands on as
    surrogates, are turned back into those bytes rather than failing."""
    given = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
    return hmac.compare_digest(given, f"Bearer {token}".encode())


class _FiguresCollector(Collector):
    """The figures of the last scrape, as Prometheus metrics (``fusion_database_up`` 0 when
    the database did not answer)."""

    def __init__(self) -> None:
        self.figures: OperatingFigures | None = None

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("fusion_database_up", "1 when the database answered the scrape")
        up.add_metric([], 0 if self.figures is None else 1)
        yield up
        figures = self.figures
        if figures is None:
            return
        entries = CounterMetricFamily(
            "fusion_ledger_entries", "Points ledger entries by kind (award, reversal, expiry…)",
            labels=["kind"],
        )  # fmt: skip
        points = CounterMetricFamily(
            "fusion_ledger_points", "Points moved by kind (negative for debits)", labels=["kind"]
        )
        for kind, count in sorted(figures.ledger_entries.items()):
            entries.add_metric([kind], count)
            points.add_metric([kind], figures.points.get(kind, 0))
        yield entries
        yield points
        yield CounterMetricFamily(
            "fusion_coupons_issued", "Coupons issued", value=figures.coupons_issued
        )
        yield CounterMetricFamily(
            "fusion_coupon_redemptions", "Coupons redeemed", value=figures.coupons_redeemed
        )
        deliveries = GaugeMetricFamily(
            "fusion_deliveries", "Nudge deliveries by status", labels=["status"]
        )
        for status, count in sorted(figures.deliveries.items()):
            deliveries.add_metric([status], count)
        yield deliveries
        yield GaugeMetricFamily(
            "fusion_nudge_queue_depth", "Pending deliveries whose time has come",
            value=figures.queue_due,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "fusion_nudge_queue_leased", "Of those, held by a dispatcher right now",
            value=figures.queue_leased,
        )  # fmt: skip


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id (and the
    exception's traceback when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:  # as the filters left it (secrets masked)
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


class MaskSecrets(logging.Filter):
    """Replaces each configured secret (tokens, passwords of the database URLs) by ``***``
    in a record's message and arguments, whichever logger wrote it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # longest first, so that a secret containing another is masked whole
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            masked = self.mask(message)
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self.mask(record.exc_text)
            if masked != message or record.args:
                record.msg, record.args = masked, None
        return True


def configure_logging(
    level: str, fmt: str, secrets: Iterable[str], stream: IO[str] | None = None
) -> None:
    """The process's root handler: JSON lines (``fmt="json"``) or plain text, secrets masked;
    ``fmt="auto"``: plain text for a person at a terminal, JSON lines for a log collector.
    The scheduler's heartbeat ("Running job … executed successfully", every few seconds per
    job) shows only at DEBUG."""
    stream = stream if stream is not None else sys.stderr
    if fmt == "auto":
        fmt = "text" if stream.isatty() else "json"
    handler = logging.StreamHandler(stream)
    if fmt == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(name)s %(levelname)s [%(request_id)s] %(message)s")
        )
        handler.addFilter(_with_request_id)
    handler.addFilter(MaskSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    heartbeat = logging.DEBUG if level == "DEBUG" else logging.WARNING
    logging.getLogger("apscheduler.executors").setLevel(heartbeat)


def _with_request_id(record: logging.LogRecord) -> bool:
    record.request_id = REQUEST_ID.get()
    return True
