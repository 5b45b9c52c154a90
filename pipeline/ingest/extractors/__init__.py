"""Connectors. Each yields RawDocuments; pipeline.ingest.sync turns them into IncidentRecords."""
