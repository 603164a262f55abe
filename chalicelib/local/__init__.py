"""The local stack: embedded AWS (moto, dynalite), the template's tables and queues, a local SQS
event source mapping and a schedule runner driving the app's real handlers.

Run it with `python -m chalicelib.local` (`make run`). Integration tests use
`create_resources` to build the deployment's tables and queues in moto.
"""
from chalicelib.local.resources import CreatedResources, create_resources, default_table_names, load_template

__all__ = ["CreatedResources", "create_resources", "default_table_names", "load_template"]
