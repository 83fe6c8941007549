"""The scheduler process: APScheduler wiring and thin sweep jobs."""
