"""Backup and restore: a consistent snapshot of the database and the file store, with a
manifest that lets ``backup verify`` check the one against the other (issue 16)."""
