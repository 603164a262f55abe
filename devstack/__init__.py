"""The local stack: embedded AWS (moto for SQS, DynamoDB Local), the template's tables and queues,
a local SQS event source mapping and a schedule runner driving the app's real handlers.

Run it with `python -m devstack` (`make run`). Integration tests use `create_resources`
to build the deployment's tables and queues in moto. Never shipped in the Lambda bundle.
"""
from devstack.provision import CreatedResources, create_buckets, create_resources, default_table_names, load_template

__all__ = ["CreatedResources", "create_buckets", "create_resources", "default_table_names", "load_template"]
