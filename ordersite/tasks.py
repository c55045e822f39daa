"""Celery tasks of the outbox (defined beside the engine; imported here for autodiscovery)."""

from ordersite.outbox import deliver_task, sweep_task

__all__ = ["deliver_task", "sweep_task"]
