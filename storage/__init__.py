"""SQLite storage. Imports nothing from the rest of the project: it stores plain dicts."""

from storage.db import Database, default_db_path

__all__ = ["Database", "default_db_path"]
