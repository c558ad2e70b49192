"""Feeds: the syndication views and their cache (views), the XML we write (writers), and the
article as each format can carry it (content)."""
