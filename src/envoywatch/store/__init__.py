"""The workspace: schema, migrations, and reads and writes of posts, annotations and events."""

from envoywatch.store.db import Store, open_store, resolve_url

__all__ = ["Store", "open_store", "resolve_url"]
