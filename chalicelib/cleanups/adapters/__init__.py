"""The DynamoDB adapters of the cleanup ports; built in `chalicelib.bootstrap` and nowhere else."""
