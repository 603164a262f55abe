"""Rendering of domain objects as JSON:API resources, one module per resource family."""
