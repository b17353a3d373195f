"""Moderation: review requests and decisions (the audit log is in core/audit.py)."""
