"""Notification delivery: the outbox, the dispatcher that drains it, and push senders."""
