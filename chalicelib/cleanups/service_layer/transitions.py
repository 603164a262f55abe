"""One status transition with what it reports: committed together, dispatched after.

Every transition of every use case (the API's interrupt, the worker's start, complete
and interrupt, the reconciler's settling) goes through `commit_transition`; one that ends
the cleanup with its counts final asks for its report (`service_layer.report`).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chalicelib import telemetry
from chalicelib.cleanups.domain.model import WORKER, Actor, Cleanup, interrupt, requester
from chalicelib.cleanups.ports import Ports
from chalicelib.cleanups.service_layer import report

Commit = Callable[[Ports, Cleanup, Cleanup, Actor], bool]


def commit_transition(ports: Ports, before: Cleanup, after: Cleanup, actor: Actor,
                      pending: report.Pending | None = None) -> bool:
    """`before` -> `after` with its version and event in one write; True if this caller won it. An ending that
    makes the report due asks for it (`report.ask`: composed by a worker's delivery `pending`, else a message)."""
    recorded = ports.events.recorded_change(before, after, actor)
    if not ports.cleanups.transition(before, after, recorded):
        return False
    ports.events.dispatch(recorded)
    telemetry.transitioned(before, after)
    if report.due(after) and before.active:
        report.ask(ports, after, pending)
    return True


def commit_restore_transition(ports: Ports, before: Cleanup, after: Cleanup, actor: Actor) -> bool:
    """The same for a restore's status: its version committed with it; True if this caller won it."""
    recorded = ports.events.recorded_change(before, after, actor)
    if not ports.cleanups.restore_transition(before, after, recorded):
        return False
    ports.events.dispatch(recorded)
    return True


def moved_once(ports: Ports, cleanup: Cleanup, waiting: Callable[[Cleanup], bool],
               move: Callable[[Cleanup, datetime], Cleanup], commit: Commit) -> Cleanup:
    """The worker's pending -> in_progress (of the cleanup or its restore) exactly once: while `cleanup`
    is `waiting`, `move` it and `commit`; the writer that wins reports it, a loser reads the cleanup again."""
    while waiting(cleanup):
        after = move(cleanup, ports.clock.now())
        if commit(ports, cleanup, after, WORKER):
            return after
        cleanup = ports.cleanups.get(cleanup.tenant, cleanup.id)
    return cleanup


def conclude_interrupt(ports: Ports, cleanup: Cleanup, pending: report.Pending | None = None) -> Cleanup:
    """An interrupt asked for becomes `interrupted`, reported as its requester's; a loser reads the cleanup again."""
    after = interrupt(cleanup, ports.clock.now())
    if commit_transition(ports, cleanup, after, requester(cleanup), pending):
        return after
    return ports.cleanups.get(cleanup.tenant, cleanup.id)
