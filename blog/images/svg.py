"""An imported SVG made a static picture before it is stored (issue 10, finding 7).

Why sanitize rather than refuse: authors moving a Hexo or Hugo blog bring their diagrams as
SVG (draw.io, matplotlib, Inkscape), and refusing them would leave holes in their posts. What
makes an SVG dangerous is small and known: script, event attributes, embedded HTML
(foreignObject), animations that set attributes, and references that leave the file (links,
external images and fonts, CSS `url()` and `@import`). So the file is parsed, and a new one is
written from the parts that only draw: SVG elements on an allowlist, their attributes less
anything that runs or reaches out. A file that cannot be parsed, or declares entities (the XML
expansion bombs), is not copied at all. The media is also served with `nosniff`, a CSP of
`default-src 'none'` and as an attachment; this is the second wall, not the only one.
"""

import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Elements that only draw. Left out on purpose: script, foreignObject, a (unwrapped: a link
# in a picture goes nowhere), set/animate* (they can set href or on* attributes), feImage
# and iframe-likes (they load), metadata and editors' own namespaces.
DRAWING = {
    "svg", "g", "defs", "symbol", "use", "switch", "title", "desc", "style",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "text", "tspan", "textPath", "image", "marker", "pattern", "clipPath", "mask",
    "linearGradient", "radialGradient", "stop", "filter", "feBlend", "feColorMatrix",
    "feComponentTransfer", "feComposite", "feConvolveMatrix", "feDiffuseLighting",
    "feDisplacementMap", "feDistantLight", "feDropShadow", "feFlood", "feFuncA", "feFuncB",
    "feFuncG", "feFuncR", "feGaussianBlur", "feMerge", "feMergeNode", "feMorphology",
    "feOffset", "fePointLight", "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence",
}  # fmt: skip
UNWRAPPED = {"a"}
LINKS = {"href", f"{{{XLINK_NS}}}href"}
KEPT_NAMESPACED = {f"{{{XML_NS}}}space", f"{{{XML_NS}}}lang"}
LOCAL_URL_RE = re.compile(r"url\(\s*['\"]?#[^)'\"]*['\"]?\s*\)", re.IGNORECASE)
RASTER_DATA_RE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*\Z")
# CSS that loads or runs: refused whole rather than parsed (escapes hide any of the words).
CSS_DANGER_RE = re.compile(r"@import|url\(|expression|javascript|binding|behavior|\\|<", re.I)
# Schemes that run or embed, in any attribute (browsers skip controls and blanks in them).
SCHEME_RE = re.compile(r"(javascript|vbscript|livescript|data)[\s\x00-\x1f]*:", re.IGNORECASE)


class UnsafeSVG(ValueError):
    """An SVG that is not copied; the message says why, for the report."""


def sanitize_svg(data: bytes):
    """(the static SVG's bytes, sorted names of what was taken out)."""
    if re.search(rb"<!ENTITY", data, re.IGNORECASE):
        raise UnsafeSVG("declares XML entities")  # expansion bombs
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError, RecursionError) as exc:
        raise UnsafeSVG(f"is not well-formed XML ({exc})") from None
    if _local(root.tag) != "svg" or _namespace(root.tag) not in ("", SVG_NS):
        raise UnsafeSVG("is not an SVG image")
    removed = set()
    out = []
    try:
        _write(root, out, removed, top=True)
    except RecursionError:
        raise UnsafeSVG("is nested too deeply") from None
    return "".join(out).encode(), sorted(removed)


def _namespace(tag):
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def _local(tag):
    return tag.rpartition("}")[2]


def _is_svg(tag):
    return _namespace(tag) in ("", SVG_NS)


def _write(element, out, removed, top=False):
    tag = element.tag if isinstance(element.tag, str) else ""  # comments, PIs: dropped
    name = _local(tag)
    if tag and _is_svg(tag) and name in UNWRAPPED:
        removed.add(name)
        out.append(escape(element.text or ""))
        for child in element:
            _write(child, out, removed)
            out.append(escape(child.tail or ""))
        return
    if not tag or not _is_svg(tag) or name not in DRAWING:
        if tag:
            removed.add(name)
        return
    attributes = _attributes(element, name, removed)
    if top:
        attributes = [("xmlns", SVG_NS), *attributes]
    opening = f"<{name}" + "".join(f" {k}={quoteattr(v)}" for k, v in attributes)
    text = element.text or ""
    if name == "style" and _loads(text):
        removed.add("style sheet that loads")
        text = ""
    if not text and not len(element):
        out.append(opening + "/>")
        return
    out.append(opening + ">" + escape(text))
    for child in element:
        _write(child, out, removed)
        out.append(escape(child.tail or ""))
    out.append(f"</{name}>")


def _loads(css):
    """Whether CSS may load or run anything; fill: url(#gradient) points inside the file."""
    return bool(CSS_DANGER_RE.search(LOCAL_URL_RE.sub("", css)))


def _attributes(element, name, removed):
    kept = []
    for key, value in element.attrib.items():
        local = _local(key)
        if key in LINKS:
            if value.strip().startswith("#") or (name == "image" and RASTER_DATA_RE.match(value)):
                kept.append(("href", value))
            else:
                removed.add(f"{local} to {value[:30]}")
            continue
        if _namespace(key) and key not in KEPT_NAMESPACED:
            removed.add(local)
            continue
        if local.lower().startswith("on") or SCHEME_RE.search(re.sub(r"[\s\x00-\x1f]", "", value)):
            removed.add(local)
            continue
        if local == "style" and _loads(value):
            removed.add(local)
            continue
        if "url(" in value.lower() and LOCAL_URL_RE.sub("", value).lower().count("url("):
            removed.add(local)
            continue
        kept.append((f"xml:{local}" if key in KEPT_NAMESPACED else local, value))
    return kept
