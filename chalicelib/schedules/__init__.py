"""Cleanup schedules: retention policies that create a cleanup at each cron time, once per due time.

Use cases take a `Ports` first (`chalicelib.bootstrap.schedule_ports()` builds the real one);
`run_due` is what the scheduled function calls each minute.
"""
from chalicelib.schedules.domain.model import OUTCOMES, RELATIONSHIPS, TYPE, Schedule
from chalicelib.schedules.ports import EventOutbox, Ports, ScheduleRepository
from chalicelib.schedules.service_layer.runner import Run, run_due, run_now
from chalicelib.schedules.service_layer.services import (
    create_schedule,
    delete_schedule,
    get_schedule,
    list_schedules,
    page_schedules,
    run_ids,
    runs_page,
    update_schedule,
)

__all__ = [
    "OUTCOMES", "RELATIONSHIPS", "TYPE", "EventOutbox", "Ports", "Run", "Schedule", "ScheduleRepository",
    "create_schedule", "delete_schedule", "get_schedule", "list_schedules", "page_schedules", "run_due",
    "run_ids", "run_now", "runs_page", "update_schedule",
]
