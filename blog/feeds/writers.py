"""The XML of RSS 2.0 and Atom 1.0 as we write it: Django's feed generators with the whole
article in each entry, and a generator that survives whatever an author pasted."""

import re
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.xmlutils import SimplerXMLGenerator

from .content import formulas_as_tex, to_xhtml

CONTROL_CHARACTERS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class FeedXMLGenerator(SimplerXMLGenerator):
    """Django's generator, made safe for whatever an author pasted, and validator-friendly.

    Characters XML 1.0 cannot carry are dropped instead of failing the whole feed. "<" in
    text is written as &#x3C;: the W3C validator warns about text that looks like markup
    ("<感受野>" in a title) unless the line shows it was escaped on purpose."""

    def characters(self, content):
        self._finish_pending_start_element()
        text = escape(CONTROL_CHARACTERS_RE.sub("", content or ""))
        self._write(text.replace("&lt;", "&#x3C;"))

    def add_html_element(self, name, html):
        """An element holding escaped HTML, escaped the ordinary way: `<` as &lt; is much
        shorter than a character reference across a whole article."""
        self.startElement(name, {})
        self._finish_pending_start_element()
        self._write(escape(CONTROL_CHARACTERS_RE.sub("", html)))
        self.endElement(name)

    def raw(self, xml):
        """Writes markup that is already well-formed XML."""
        self._finish_pending_start_element()
        self._write(CONTROL_CHARACTERS_RE.sub("", xml))


# The date an empty feed says it was updated. Django's is the moment of writing, which would
# give the same empty feed new bytes (and a new ETag) every time it is built.
EMPTY_FEED_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)


class FeedWriterMixin:
    def write(self, outfile, encoding):
        # As Django's own write(), with our generator.
        handler = FeedXMLGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        self.write_document(handler)

    def latest_post_date(self):
        if not self.items:
            return EMPTY_FEED_UPDATED
        return super().latest_post_date()


class ContentRssFeed(FeedWriterMixin, Rss201rev2Feed):
    """RSS 2.0 with the excerpt as <description> and the article as <content:encoded>."""

    def write_document(self, handler):
        handler.startElement("rss", self.rss_attributes())
        handler.startElement("channel", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        self.endChannelElement(handler)
        handler.endElement("rss")

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.add_html_element("content:encoded", formulas_as_tex(item["content"]))


class ContentAtomFeed(FeedWriterMixin, Atom1Feed):
    """Atom with the article in <content type="xhtml">, where MathML is at home; Django's
    own writes only <summary>."""

    def write_document(self, handler):
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.startElement("content", {"type": "xhtml"})
            xhtml = to_xhtml(item["content"])
            handler.raw(f'<div xmlns="http://www.w3.org/1999/xhtml">{xhtml}</div>')
            handler.endElement("content")
