"""Notifications: what happened that someone should act on, in an inbox and (later) by e-mail."""
