"""The records package's adapter: the DynamoDB client of the records table (`RecordsStore`)."""
