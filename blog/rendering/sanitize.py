"""One allowlist for everything the pipeline emits: nothing outside it reaches a page."""

import re

import nh3

from .code import TOKEN_CLASSES
from .mathstyle import ALL_CLASSES as MATH_STYLE_CLASSES

HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "picture", "pre", "q", "s", "samp", "small",
    "source", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul", "var",
}  # fmt: skip
# Presentation MathML as math-core writes it. Not annotation-xml (it can carry HTML) and
# no href on MathML elements (a link vector in some browsers); \\eqref's link is an HTML <a>
# inside <mtext>.
MATHML_TAGS = {
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace",
    "msub", "msup", "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover",
    "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom", "menclose", "merror",
    "mmultiscripts", "mprescripts", "none",
}  # fmt: skip
MATHML_ATTRIBUTES = {
    "accent", "accentunder", "align", "columnalign", "columnlines", "columnspacing",
    "columnspan", "depth", "displaystyle", "fence", "form", "frame", "height", "largeop",
    "linethickness", "lspace", "mathvariant", "maxsize", "minsize", "movablelimits",
    "notation", "rowalign", "rowlines", "rowspacing", "rowspan", "rspace", "scriptlevel",
    "separator", "stretchy", "symmetric", "voffset", "width",
}  # fmt: skip
ATTRIBUTES = {
    "*": {"id", "title", "lang", "dir"},
    "a": {"href", "rel"},
    "img": {"src", "alt", "width", "height", "loading", "decoding", "srcset", "sizes"},
    "source": {"srcset", "sizes", "type"},
    "ol": {"start", "type"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "math": {"display", "xmlns"} | MATHML_ATTRIBUTES,
    "annotation": {"encoding"},
    **{tag: set(MATHML_ATTRIBUTES) for tag in MATHML_TAGS - {"math", "annotation"}},
}
CLASSES = {
    "a": {"footnote-ref", "footnote-backref", "headerlink"},
    "code": {"math-source"},  # plus language-*, checked by pattern
    "div": {"math", "math-display", "math-failed", "footnote", "highlight"},
    "span": {"math", "math-inline", "math-failed", "math-nobreak", "mc-small-caps", "placeholder"}
    | {"math-core-serif-font", "math-core-sans-serif-font"}
    | TOKEN_CLASSES,
    "td": {"align-left", "align-right", "align-center"},
    "th": {"align-left", "align-right", "align-center"},
    **{tag: set(MATH_STYLE_CLASSES) for tag in MATHML_TAGS - {"math", "annotation", "mrow"}},
    # math-core's hooks for drawing \\cancel and \\phase where menclose is not implemented.
    "mrow": MATH_STYLE_CLASSES
    | {"menclose-updiagonalstrike", "menclose-downdiagonalstrike", "menclose-phasorangle"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LANGUAGE_CLASS_RE = re.compile(r"^language-[A-Za-z0-9_+#.-]{1,40}$")
SOURCE_TYPES = {"image/avif", "image/webp", "image/png", "image/jpeg", "image/gif"}
# A srcset is a list of addresses the URL filter does not read: each one must be a path of
# this site or an http(s) address, with a width; anything else drops the whole attribute.
SRCSET_CANDIDATE_RE = re.compile(r"(?:/(?!/)|https?://)[^\s,]+ [1-9][0-9]{0,4}w")
SIZES_RE = re.compile(r"[0-9A-Za-z().:,%+\- ]{1,200}")


def _filter_attribute(tag, attribute, value):
    if attribute == "class":
        allowed = CLASSES.get(tag, set())
        kept = [
            c
            for c in value.split()
            if c in allowed or (tag == "code" and LANGUAGE_CLASS_RE.match(c))
        ]
        return " ".join(kept) or None
    if tag == "img" and attribute in ("width", "height"):
        return value if value.isdigit() and len(value) <= 5 else None
    if attribute == "srcset":
        candidates = value.split(", ")
        return value if all(SRCSET_CANDIDATE_RE.fullmatch(c) for c in candidates) else None
    if attribute == "sizes":
        return value if SIZES_RE.fullmatch(value) else None
    if tag == "source" and attribute == "type":
        return value if value in SOURCE_TYPES else None
    if attribute == "encoding":
        return value if value == "application/x-tex" else None
    return value


def sanitize(html):
    attributes = {tag: set(attrs) for tag, attrs in ATTRIBUTES.items()}
    for tag in CLASSES:
        attributes.setdefault(tag, set()).add("class")
    return nh3.clean(
        html,
        tags=HTML_TAGS | MATHML_TAGS,
        clean_content_tags={"script", "style"},
        attributes=attributes,
        attribute_filter=_filter_attribute,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )
