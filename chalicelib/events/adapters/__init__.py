"""The events package's adapters: the DynamoDB event log and webhook store, the HTTP transport of deliveries."""
