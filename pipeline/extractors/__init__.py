"""Connectors. Each yields RawDocuments; pipeline.ingest turns them into IncidentRecords."""
