"""Operator command: create an application in a deployed stage and print its secret once.

    python -m tools.admin create-application --organization-slug acme \
        --organization-name Acme --name "Cleanup bot" --kind integration --mode live
"""
from __future__ import annotations

import argparse
import json

from chalicelib.auth import create_application
from chalicelib.tenancy import new_id


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.admin")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-application")
    create.add_argument("--organization-id", default=None, help="existing organization id; new one if omitted")
    create.add_argument("--organization-slug", required=True)
    create.add_argument("--organization-name", default=None)
    create.add_argument("--name", required=True)
    create.add_argument("--kind", choices=["integration", "sales_channel"], default="integration")
    create.add_argument("--mode", choices=["test", "live"], default="test")
    args = parser.parse_args(argv)
    organization = {"id": args.organization_id or new_id(), "slug": args.organization_slug,
                    "name": args.organization_name or args.organization_slug}
    application, secret = create_application(organization=organization, name=args.name,
                                             kind=args.kind, mode=args.mode)
    print(json.dumps({"client_id": application.client_id, "client_secret": secret,
                      "organization": organization, "kind": application.kind, "mode": application.mode}, indent=2))
    print("The secret is shown once and stored only as a hash.")


if __name__ == "__main__":
    main()
