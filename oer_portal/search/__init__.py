"""Search: the Whoosh index as a projection of the published versions."""
