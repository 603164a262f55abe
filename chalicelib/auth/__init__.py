"""Authentication: the token endpoint, JWT verification, the calling application."""
from chalicelib.auth.applications import Application, create_application
from chalicelib.auth.caller import Caller
from chalicelib.auth.tokens import authenticate, issue_token

__all__ = ["Application", "Caller", "authenticate", "create_application", "issue_token"]
