"""GET /metrics in the Prometheus text format, for the addresses in METRICS_ALLOW only:
requests and latency by route template and status, and the safety figures the service is
run by (open urgent alerts, the oldest unacknowledged one, the outbox, the schedulers).

Under gunicorn each worker counts its own requests, and a scrape reaches one of them. With
PROMETHEUS_MULTIPROC_DIR set (before the app is imported: prometheus-client reads it once)
every worker writes its counts there and a scrape adds up all of them (docs/DEPLOY.md,
"gunicorn", has the hook that forgets a worker that exited)."""

from __future__ import annotations

import ipaddress
import os
import re
import time
from collections.abc import Iterator
from datetime import datetime

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from api.extensions import client_address
from youthapp.clock import utcnow
from youthapp.models import Alert, Notification, SchedulerHeartbeat

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# "<uuid:referral_id>" in a Flask rule is "{referral_id}" in the OpenAPI document.
_TEMPLATE_PART = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def register(app: Flask) -> None:
    registry = CollectorRegistry()
    requests = Counter(
        "http_requests_total",
        "Requests answered, by route template, method and status",
        ["route", "method", "status"],
        registry=registry,
    )
    latency = Histogram(
        "http_request_duration_seconds",
        "Time to answer, by route template and method",
        ["route", "method"],
        registry=registry,
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    )
    safety = _SafetyFigures(app)
    registry.register(safety)

    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is not None and request.endpoint != "metrics":
            route = (
                _TEMPLATE_PART.sub(r"{\1}", request.url_rule.rule)
                if request.url_rule is not None
                else "unmatched"
            )
            requests.labels(route, request.method, str(response.status_code)).inc()
            latency.labels(route, request.method).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics", endpoint="metrics")
    def metrics() -> Response:
        if not _allowed(client_address(), current_app.extensions["youthapp"].settings):
            abort(404)
        scraped = registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            scraped = CollectorRegistry()
            MultiProcessCollector(scraped)  # every worker's requests, from their files
            scraped.register(safety)
        return Response(generate_latest(scraped), mimetype="text/plain", content_type=CONTENT_TYPE)


def _allowed(address: str, settings: object) -> bool:
    try:
        caller = ipaddress.ip_address(address)
    except ValueError:
        return False
    networks = getattr(settings, "metrics_allow", ("127.0.0.0/8", "::1/128"))
    return any(caller in ipaddress.ip_network(network, strict=False) for network in networks)


class _SafetyFigures(Collector):
    """Read from the database at each scrape: a handful of aggregate queries."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        runtime = self.app.extensions["youthapp"]
        now = utcnow()
        with runtime.session_factory() as session:
            urgent_open = (Alert.urgent.is_(True), Alert.status != "resolved")
            count, oldest = session.execute(
                select(
                    func.count().filter(*urgent_open),
                    func.min(Alert.created_at).filter(
                        Alert.urgent.is_(True), Alert.status == "open"
                    ),
                )
            ).one()
            pending = session.execute(
                select(Notification.kind, func.count())
                .where(Notification.delivery_status.in_(("pending", "sending")))
                .group_by(Notification.kind)
            ).all()
            oldest_push = session.scalar(
                select(func.min(Notification.created_at)).where(
                    Notification.urgent.is_(True),
                    Notification.delivery_status.in_(("pending", "sending")),
                )
            )
            beats = session.execute(
                select(
                    SchedulerHeartbeat.scheduler,
                    SchedulerHeartbeat.sweep,
                    SchedulerHeartbeat.beat_at,
                    SchedulerHeartbeat.duration_seconds,
                )
            ).all()
        yield _gauge("youthapp_urgent_alerts_open", "Urgent alerts not yet resolved", count)
        yield _gauge(
            "youthapp_urgent_alert_oldest_unacknowledged_seconds",
            "Age of the oldest urgent alert nobody has acknowledged (0: none)",
            _age(oldest, now),
        )
        outbox = GaugeMetricFamily(
            "youthapp_outbox_pending",
            "Notifications waiting to be pushed, by kind",
            labels=["kind"],
        )
        for kind, waiting in pending:
            outbox.add_metric([kind], waiting)
        yield outbox
        yield _gauge(
            "youthapp_outbox_oldest_urgent_pending_seconds",
            "Age of the oldest urgent push not yet delivered (0: none)",
            _age(oldest_push, now),
        )
        heartbeat = GaugeMetricFamily(
            "youthapp_scheduler_heartbeat_age_seconds",
            "Time since each scheduler last finished a sweep",
            labels=["scheduler"],
        )
        newest: dict[str, datetime] = {}
        durations = GaugeMetricFamily(
            "youthapp_sweep_duration_seconds",
            "How long each sweep took on its last run, per scheduler",
            labels=["scheduler", "sweep"],
        )
        for scheduler, sweep, beat_at, duration in beats:
            newest[scheduler] = max(newest.get(scheduler, beat_at), beat_at)
            durations.add_metric([scheduler, sweep], duration)
        for scheduler, beat_at in newest.items():
            heartbeat.add_metric([scheduler], _age(beat_at, now))
        yield heartbeat
        yield durations


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _age(moment: datetime | None, now: datetime) -> float:
    return max((now - moment).total_seconds(), 0.0) if moment is not None else 0.0
