"""One allowlist for everything the pipeline emits: nothing outside it reaches a page."""

import re

import nh3

from .code import TOKEN_CLASSES

HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
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
    "img": {"src", "alt", "width", "height", "loading", "decoding"},
    "ol": {"start", "type"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "math": {"display", "xmlns"} | MATHML_ATTRIBUTES,
    "annotation": {"encoding"},
    **{tag: set(MATHML_ATTRIBUTES) for tag in MATHML_TAGS - {"math", "annotation"}},
}
# Inline styles on MathML elements only, and only what math-core writes: its alignment,
# padding and widths in tables (Chromium's math layout ignores columnalign), borders for
# array rules, \\color. Each value must match its pattern whole, so url(), expression(),
# escapes, comments and every other property are dropped.
LENGTH = r"(?:0|-?(?:\d+\.?\d*|\.\d+)(?:em|ex|px|pt|mu|rem|%))"
STYLE_VALUES = {
    "text-align": r"(?:-webkit-)?(?:left|right|center)|start|end",
    "justify-items": r"start|end|center",
    "padding": rf"{LENGTH}(?: {LENGTH}){{0,3}}",
    **{f"padding-{side}": LENGTH for side in ("top", "right", "bottom", "left")},
    "width": LENGTH,
    **{
        f"border-{side}": rf"{LENGTH} (?:solid|dashed|dotted) (?:currentcolor|#[0-9a-fA-F]{{3,8}})"
        for side in ("top", "right", "bottom", "left")
    },
    "color": r"#[0-9a-fA-F]{3,8}|currentcolor",
    "math-shift": r"compact|normal",
}
STYLE_RES = {name: re.compile(pattern) for name, pattern in STYLE_VALUES.items()}
MAX_STYLE_LENGTH = 400

CLASSES = {
    "a": {"footnote-ref", "footnote-backref", "headerlink"},
    "code": {"math-source"},  # plus language-*, checked by pattern
    "div": {"math", "math-display", "math-failed", "footnote", "highlight"},
    "span": {"math", "math-inline", "math-failed", "math-nobreak"}
    | {"math-core-serif-font", "math-core-sans-serif-font"}
    | TOKEN_CLASSES,
    # math-core's polyfill hooks for \\cancel and \\phase (drawn by static/css/math.css).
    "mrow": {"menclose-updiagonalstrike", "menclose-downdiagonalstrike", "menclose-phasorangle"},
    "td": {"align-left", "align-right", "align-center"},
    "th": {"align-left", "align-right", "align-center"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LANGUAGE_CLASS_RE = re.compile(r"^language-[A-Za-z0-9_+#.-]{1,40}$")


def _filter_style(value):
    kept = []
    for declaration in value[:MAX_STYLE_LENGTH].split(";"):
        name, colon, setting = declaration.partition(":")
        name, setting = name.strip().lower(), " ".join(setting.split())
        pattern = STYLE_RES.get(name)
        if colon and pattern is not None and pattern.fullmatch(setting):
            kept.append(f"{name}: {setting}")
    return "; ".join(kept) or None


def _filter_attribute(tag, attribute, value):
    if attribute == "style":
        return _filter_style(value) if tag in MATHML_TAGS else None
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
    if attribute == "encoding":
        return value if value == "application/x-tex" else None
    return value


def sanitize(html):
    attributes = {tag: set(attrs) for tag, attrs in ATTRIBUTES.items()}
    for tag in CLASSES:
        attributes.setdefault(tag, set()).add("class")
    for tag in MATHML_TAGS:
        attributes[tag].add("style")
    return nh3.clean(
        html,
        tags=HTML_TAGS | MATHML_TAGS,
        clean_content_tags={"script", "style"},
        attributes=attributes,
        attribute_filter=_filter_attribute,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
        filter_style_properties=set(STYLE_VALUES),
    )
