"""Other collections harvested over OAI-PMH and found in the portal's own search."""
