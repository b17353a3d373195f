"""Accounts: users, roles, login, profile and the teacher-role request."""
