"""Syndication: schema.org data, the sitemap, Atom feeds, embeds and oEmbed."""
