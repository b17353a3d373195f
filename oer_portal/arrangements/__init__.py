"""Arrangements: structured lessons of sections, own pages and embedded materials."""
