"""Ingest: connectors read documents, the parser structures them, sync stores them."""
