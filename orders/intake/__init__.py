"""Orders from other systems: the API, online stores, imported files."""
