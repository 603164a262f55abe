"""The one mapping between domain dataclasses and PynamoDB items, through DynamoDB's wire format (no I/O)."""
from __future__ import annotations

import dataclasses

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.models import Model

from chalicelib.auth.applications import Application, ApplicationItem
from chalicelib.cleanups.adapters.store import CleanupItem
from chalicelib.cleanups.domain.model import Cleanup
from chalicelib.dynamo import bind, condition_failed, to_domain, to_item, written
from chalicelib.events.adapters.store import EventItem, VersionItem
from chalicelib.events.adapters.webhook_store import CallbackItem, WebhookItem
from chalicelib.events.model import Event, EventCallback, Version, Webhook
from chalicelib.tenancy import Tenant

TENANT = Tenant("org-alpha", "live")
MAPPED = [(Cleanup, CleanupItem), (Event, EventItem), (Version, VersionItem), (Webhook, WebhookItem),
          (EventCallback, CallbackItem), (Application, ApplicationItem)]


def through_the_wire(item: Model) -> Model:
    """What a read returns for `item`: serialized as DynamoDB stores it, then deserialized."""
    return type(item).from_raw_data(item.serialize())


@pytest.mark.parametrize(("cls", "model"), MAPPED, ids=lambda value: value.__name__)
def test_mapping_stores_every_field_of_the_domain_object(cls: type, model: type[Model]) -> None:
    # Given a domain dataclass and its model
    # When their names are compared, then every field is stored (the id may be the sort key), but those marked
    # as never stored (a link signed on each read)
    stored = set(model.get_attributes()) | {"tenant"}
    kept = {f.name for f in dataclasses.fields(cls) if f.metadata.get("stored", True)}
    assert kept - stored <= {"id"}


def test_mapping_round_trips_a_cleanup_with_sets_maps_and_json() -> None:
    # Given a cleanup with every kind of value: sets, a map, JSON, nulls
    cleanup = Cleanup(tenant=TENANT, id="cln0000001", resource_type="skus", filters={"code_in": ["A", "B"]},
                      created_at="2025-01-01T00:00:00.000Z", updated_at="2025-01-01T00:00:01.000Z",
                      status="in_progress", records_count=5, processed_count=2, errors_count=1,
                      errors_log={"x": {"base": ["gone"]}}, batch_size=4, sub_batch_size=2, batch_count=2,
                      sub_batch_count=3, started=frozenset({0, 1}), counted=frozenset({0}),
                      started_at="2025-01-01T00:00:01.000Z", reference="r", metadata={"k": [1, 2]})
    # When it is stored and read back
    item = through_the_wire(to_item(CleanupItem, cleanup, pk="p", sk=cleanup.id, active="1"))
    # Then it is the same cleanup, with its keys and extra attributes where the adapter put them
    assert to_domain(Cleanup, item, id=item.sk) == cleanup
    assert (item.organization_id, item.mode, item.active) == ("org-alpha", "live", "1")


def test_mapping_reads_absent_attributes_as_the_fields_defaults() -> None:
    # Given a webhook with empty collections and nulls
    webhook = Webhook(tenant=TENANT, id="whk0000001", topic="cleanups.create", callback_url="https://e.x/h",
                      shared_secret="s", created_at="c", updated_at="u")
    # When it is stored (empty collections are not) and read back
    item = to_item(WebhookItem, webhook, pk="p", sk=webhook.id)
    assert (item.include_resources, item.metadata) == (None, None)
    # Then the defaults come back: an empty tuple and an empty dict
    assert to_domain(Webhook, through_the_wire(item), id="whk0000001") == webhook


def test_written_is_false_only_when_the_condition_failed() -> None:
    # Given a refused condition and another storage error
    class Refused(Exception):
        pass

    def refuse() -> None:
        raise PutError("refused", cause=_client_error("ConditionalCheckFailedException"))

    def throttle() -> None:
        raise UpdateError("throttled", cause=_client_error("ProvisionedThroughputExceededException"))

    # When each write is run, then the refusal is an answer and the throttle an error
    assert written(lambda: None) is True
    assert written(refuse) is False
    with pytest.raises(UpdateError):
        written(throttle)
    assert not condition_failed(Refused())


def _client_error(code: str) -> Exception:
    return ClientError({"Error": {"Code": code, "Message": code}}, "PutItem")


def test_bind_gives_one_model_per_table_and_endpoint_reaching_that_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no emulator endpoint, then DynamoDB Local's
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    on_aws = bind(ApplicationItem, "apps")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")
    local = bind(ApplicationItem, "apps")
    # Then each endpoint has its own bound model (and so its own client), kept for the next call
    assert local is not on_aws and local is bind(ApplicationItem, "apps")
    assert (local.Meta.host, local.Meta.region, local.Meta.table_name) == ("http://127.0.0.1:8000", "eu-west-1", "apps")
    assert (on_aws.Meta.host, on_aws.Meta.region) == (None, "eu-west-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB")
    assert bind(ApplicationItem, "apps") is on_aws
