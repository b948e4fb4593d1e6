"""Small built-in datasets (filled in by the datasets work)."""
