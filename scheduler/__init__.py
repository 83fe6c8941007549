"""The scheduler process: APScheduler wiring and thin sweep jobs (built in the scheduler issue)."""
