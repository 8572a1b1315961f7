"""Routes of the back office API, one module per group of records."""

__all__: list[str] = []
