"""Notifications: the outbox written with each change, the rules a watcher evaluates on a
clock, the notices it builds and delivers (docs/notifications.md)."""
