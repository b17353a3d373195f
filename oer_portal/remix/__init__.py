"""Remix: derive a material from a published version, credit the whole chain of sources, and
follow the original as it changes (upstream notices, diff, three-way pull)."""
