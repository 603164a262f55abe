"""The cleanups service: everything app.py wires together."""
