"""Licences: the registry of Creative Commons licences (pure Python, no Flask)."""
