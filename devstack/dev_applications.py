"""The local stack's dev organization and applications, with their well-known secret.

Local data only: a deployed stage gets its applications from `python -m tools.admin`.
"""
from __future__ import annotations

from chalicelib.auth import Application, create_application
from chalicelib.auth.applications import get_application

DEV_ORGANIZATION = {"id": "DemoOrg001", "slug": "demo", "name": "Demo"}
DEV_SECRET = "dev-secret"
DEV_APPLICATIONS = (
    ("dev-integration-test", "integration", "test"),
    ("dev-integration-live", "integration", "live"),
    ("dev-sales-channel-test", "sales_channel", "test"),
)


def seed_dev_applications() -> list[Application]:
    """The dev organization's applications, each with the secret DEV_SECRET: stored unless they
    are already (a stack restarted on its kept data), so their ids outlive a restart."""
    return [
        get_application(client_id) or create_application(
            organization=DEV_ORGANIZATION, name=client_id, kind=kind, mode=mode, client_id=client_id,
            secret=DEV_SECRET)[0]
        for client_id, kind, mode in DEV_APPLICATIONS
    ]
