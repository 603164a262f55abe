"""One status transition with what it reports: committed together, dispatched after.

Every transition of every use case (the API's interrupt, the worker's start, complete
and interrupt, the reconciler's settling) goes through `commit_transition`.
"""
from __future__ import annotations

from chalicelib import telemetry
from chalicelib.cleanups.model import Actor, Cleanup
from chalicelib.cleanups.ports import Ports


def commit_transition(ports: Ports, before: Cleanup, after: Cleanup, actor: Actor) -> bool:
    """`before` -> `after` with its version and event in one write; True if this caller won it."""
    recorded = ports.events.recorded_change(before, after, actor)
    if not ports.cleanups.transition(before, after, recorded):
        return False
    ports.events.dispatch(recorded)
    telemetry.transitioned(before, after)
    return True


def commit_restore_transition(ports: Ports, before: Cleanup, after: Cleanup, actor: Actor) -> bool:
    """The same for a restore's status: its version committed with it; True if this caller won it."""
    recorded = ports.events.recorded_change(before, after, actor)
    if not ports.cleanups.restore_transition(before, after, recorded):
        return False
    ports.events.dispatch(recorded)
    return True
