"""The long-running scheduler process: APScheduler runs the sweeps on fixed intervals (in
UTC, coalesced, one instance each), while the main thread delivers the outbox, woken at
once by PostgreSQL NOTIFY when an urgent alert is raised, or by a short poll otherwise."""

from __future__ import annotations

import logging
import signal
import threading
import time

import psycopg
from apscheduler.schedulers.background import BackgroundScheduler

from scheduler.jobs import SchedulerContext, dispatch, run_sweep, sweep_names
from youthapp.clock import utcnow
from youthapp.notify.outbox import CHANNEL
from youthapp.services import heartbeats

log = logging.getLogger("scheduler")

POLL_SECONDS = 1.0
# How often a scheduler that lost its LISTEN connection tries to get it back.
RELISTEN_SECONDS = 5.0


def run_forever(context: SchedulerContext) -> None:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    scheduler = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    for name in sweep_names(context.settings):
        scheduler.add_job(
            _sweep_job,
            "interval",
            args=(context, name),
            id=f"sweep:{name}",
            seconds=context.settings.sweep_seconds,
            next_run_time=utcnow(),
            replace_existing=True,
        )
    scheduler.start()
    log.info(
        "scheduler started: %d sweeps every %ds, %d push senders",
        len(sweep_names(context.settings)),
        context.settings.sweep_seconds,
        len(context.senders),
    )
    try:
        _deliver_until_stopped(context, stop)
    finally:
        scheduler.shutdown(wait=True)
        for sender in context.senders:
            close = getattr(sender, "close", None)
            if close is not None:
                close()
        context.engine.dispose()
        log.info("scheduler stopped")


def _sweep_job(context: SchedulerContext, name: str) -> None:
    try:
        started = time.monotonic()
        run_sweep(context, name, utcnow())
        with context.session_factory.begin() as session:
            heartbeats.beat(
                session, name, now=utcnow(), duration_seconds=time.monotonic() - started
            )
    except Exception:  # one failed sweep must not stop the others or the next run
        log.exception("sweep %s failed", name)


def _deliver_until_stopped(context: SchedulerContext, stop: threading.Event) -> None:
    listener = _listen(context)
    next_try = time.monotonic() + RELISTEN_SECONDS
    while not stop.is_set():
        try:
            dispatch(context, utcnow())
        except Exception:
            log.exception("dispatch failed")
        if listener is None and _can_listen(context) and time.monotonic() >= next_try:
            # Polling is the fallback, not the way of working: try to LISTEN again.
            listener = _listen(context)
            next_try = time.monotonic() + RELISTEN_SECONDS
            if listener is not None:
                log.info("listening for wake-ups again")
        if listener is not None:
            try:
                # Returns as soon as a NOTIFY arrives, or after the poll interval.
                for _ in listener.notifies(timeout=POLL_SECONDS, stop_after=1):
                    pass
            except psycopg.Error:
                log.warning(
                    "lost the LISTEN connection; polling, and listening again every %ss",
                    RELISTEN_SECONDS,
                )
                listener.close()
                listener = None
                next_try = time.monotonic() + RELISTEN_SECONDS
        else:
            stop.wait(POLL_SECONDS)
    if listener is not None:
        listener.close()


def _can_listen(context: SchedulerContext) -> bool:
    return context.engine.url.get_backend_name() == "postgresql"


def _listen(context: SchedulerContext) -> psycopg.Connection | None:
    url = context.engine.url
    if not _can_listen(context):
        return None
    try:
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        connection = psycopg.connect(dsn, autocommit=True)
        connection.execute(f"LISTEN {CHANNEL}")
        return connection
    except psycopg.Error:
        log.warning("cannot LISTEN for wake-ups; polling every %ss", POLL_SECONDS)
        return None
