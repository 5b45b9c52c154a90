"""SQLite storage. Imports nothing from the rest of the project: it stores plain dicts."""

from storage.db import Database, StorageError, SyncBusy, default_db_path

__all__ = ["Database", "StorageError", "SyncBusy", "default_db_path"]
