"""The DynamoDB adapter of the schedule repository; built in `chalicelib.bootstrap` and nowhere else."""
