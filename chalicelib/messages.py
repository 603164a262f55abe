"""The work queue's consumer: SQS records in, partial batch response out (Powertools).

A record whose handler raises is reported in `batchItemFailures`: SQS delivers it
again after the visibility timeout and moves it to the DLQ after maxReceiveCount.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib import telemetry
from chalicelib.tenancy import Tenant

Handler = Callable[[dict[str, Any]], None]


class UnknownMessageError(Exception):
    """A message body this consumer cannot read: it fails until it lands in the DLQ."""


def _dispatch(handlers: dict[str, Handler]) -> Callable[[SQSRecord], None]:
    def handle(record: SQSRecord) -> None:
        try:
            body = json.loads(record.body)
            handler = handlers[body["kind"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise UnknownMessageError(f"cannot read message {record.message_id}") from exc
        telemetry.message(record.message_id, body["kind"])
        try:
            handler(body)
        except Exception:
            # The batch processor only reports the failure to SQS: the operator needs the traceback.
            telemetry.logger.exception("Message failed")
            raise
    return handle


def consume(event: dict[str, Any], context: Any, handlers: dict[str, Handler]) -> dict[str, Any]:
    """Run each record through its handler; the failed ones come back as batchItemFailures."""
    # A batch that fails whole still answers with batchItemFailures: one shape for the poller and Lambda.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response = process_partial_response(event=event, record_handler=_dispatch(handlers), processor=processor,
                                        context=context)
    return dict(response)


def tenant_of(body: dict[str, Any]) -> Tenant:
    return Tenant(body["tenant"]["organization_id"], body["tenant"]["mode"])
