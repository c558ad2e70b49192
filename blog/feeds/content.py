"""The article HTML as each feed format can carry it.

The page's HTML goes into the feeds with its links made absolute. Formulas need care: the
W3C feed validator (and many readers' sanitizers) accept MathML only inside Atom's XHTML
content, so Atom carries the article as XHTML with real MathML, JSON Feed carries the page's
HTML as it is, and RSS, which can only carry escaped HTML, carries each formula as its TeX
between \\( \\) or \\[ \\] (the delimiters MathJax and KaTeX in readers pick up).
"""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin
from xml.sax.saxutils import escape, quoteattr

from ..rendering.sanitize import MATHML_TAGS

# A start tag of the sanitized HTML: its text and attribute values carry < and > escaped, so
# every "<" that begins a name begins a real tag, and only tags have attributes to rewrite.
START_TAG_RE = re.compile(r"<[a-zA-Z][^<>]*>")
URL_ATTRIBUTE_RE = re.compile(r'(\s(?:href|src)=")([^"]*)(")')
SRCSET_RE = re.compile(r'(\ssrcset=")([^"]*)(")')
# A kept image's <picture> and its WebP/AVIF <source>s (blog.rendering.pictures): feed
# readers and the feed validator know <img> with srcset, not these.
PICTURE_RE = re.compile(r"</?picture\b[^<>]*>|<source\b[^<>]*>")
FORMULA_RE = re.compile(
    r'<(?P<tag>span|div) class="math (?P<kind>math-inline|math-display)">'
    r"<math\b.*?<annotation encoding=\"application/x-tex\">(?P<tex>.*?)</annotation>"
    r"</semantics></math></(?P=tag)>",
    re.DOTALL,
)
# A heading's permalink (the "#" the page shows on hover): in a feed reader, a stray "#".
PERMALINK_RE = re.compile(r'<a\b[^<>]*\bclass="headerlink"[^<>]*>[^<]*</a>')
REFERENCE_TEX_RE = re.compile(r"\\(?:eq)?ref\{[^{}]*\}")
LINK_RE = re.compile(r'<a href="[^"]*">[^<]*</a>')
VOID_ELEMENTS = {"area", "br", "col", "embed", "hr", "img", "input", "source", "track", "wbr"}
MATHML_NAMESPACE = "http://www.w3.org/1998/Math/MathML"
MATHML_ELEMENTS = MATHML_TAGS
# The MathML attributes the W3C feed validator accepts in XHTML content; the others are
# presentation hints a reader can do without.
FEED_MATHML_ATTRIBUTES = {
    "display", "mathvariant", "stretchy", "fence", "columnalign", "columnspacing",
    "rowspacing", "displaystyle", "encoding", "width", "lspace", "rspace", "separator",
}  # fmt: skip


def absolutize(html, page_url):
    """Relative links and image sources (srcset too) made absolute: a feed reader has no
    base URL. The headings' permalinks are left out."""

    def fix(match):
        return f"{match.group(1)}{urljoin(page_url, match.group(2))}{match.group(3)}"

    def fix_set(match):
        candidates = []
        for candidate in match.group(2).split(", "):
            url, _, width = candidate.partition(" ")
            candidates.append(f"{urljoin(page_url, url)} {width}".rstrip())
        return f"{match.group(1)}{', '.join(candidates)}{match.group(3)}"

    def tag(match):
        return SRCSET_RE.sub(fix_set, URL_ATTRIBUTE_RE.sub(fix, match.group()))

    # Within tags only: an article that writes src="../x" in its text means the text.
    return START_TAG_RE.sub(tag, PICTURE_RE.sub("", PERMALINK_RE.sub("", html)))


def formulas_as_tex(html):
    """Each MathML formula replaced by its TeX source (already escaped in the annotation); a
    reference to an equation (\\eqref) as its number, linked, since a reader's MathJax
    cannot number the article's equations."""

    def replace(match):
        tex = match.group("tex")
        if REFERENCE_TEX_RE.fullmatch(tex) and (link := LINK_RE.search(match.group(0))):
            return link.group(0)
        if match.group("kind") == "math-display":
            return f'<div class="math math-display">\\[{tex}\\]</div>'
        return f'<span class="math math-inline">\\({tex}\\)</span>'

    return FORMULA_RE.sub(replace, html)


class _XhtmlWriter(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.stack = []  # open elements; "!name" for one left out of the feed

    def handle_starttag(self, tag, attrs):
        if "math" in self.stack and tag not in MATHML_ELEMENTS:
            # HTML inside <mtext> (\\textbf, \\eqref's link) is not MathML the validator
            # accepts: its text stays, the element goes.
            if tag not in VOID_ELEMENTS:
                self.stack.append(f"!{tag}")
            return
        in_math = tag in MATHML_ELEMENTS and (tag == "math" or "math" in self.stack)
        if tag == "menclose" and in_math:
            tag = "mrow"  # not accepted by the validator; its box is decoration
        kept = []
        for name, value in attrs:
            if name == "xmlns":
                continue
            if in_math and name not in FEED_MATHML_ATTRIBUTES:
                continue
            kept.append(f" {name}={quoteattr(value or '')}")
        if tag == "math":
            kept.insert(0, f' xmlns="{MATHML_NAMESPACE}"')
        if tag in VOID_ELEMENTS:
            self.out.append(f"<{tag}{''.join(kept)}/>")
            return
        self.stack.append(tag)
        self.out.append(f"<{tag}{''.join(kept)}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "menclose" and "menclose" not in self.stack:
            tag = "mrow"
        if tag in VOID_ELEMENTS or tag not in self.stack and f"!{tag}" not in self.stack:
            return
        # Close up to the nearest element of that name, whether written or left out.
        while self.stack:
            opened = self.stack.pop()
            if opened == f"!{tag}":
                break
            if not opened.startswith("!"):
                self.out.append(f"</{opened}>")
                if opened == tag:
                    break

    def handle_data(self, data):
        self.out.append(escape(data))

    def close(self):
        super().close()
        while self.stack:
            if not (opened := self.stack.pop()).startswith("!"):
                self.out.append(f"</{opened}>")


def to_xhtml(html):
    """Our sanitized HTML re-written as well-formed XHTML (MathML in its own namespace)."""
    writer = _XhtmlWriter()
    writer.feed(html)
    writer.close()
    return "".join(writer.out)
