"""Where a post's Markdown names images: `![alt](src "title")` and raw `<img src="…">`.

One pair of patterns for the importer (which rewrites the references to stored files), the
write path (which records which images a post uses) and the pre-publish checks.
"""

import re
from urllib.parse import unquote

# Bounded and possessive repeats (no backtracking, no search past the next opening), so
# that an opening without its end is not searched to the end of the body from every
# opening (a path stops at "[", so at the next "![", too): 800 KB of "![](" took 40 s.
IMAGE_RE = re.compile(
    r'(!\[[^\]]{0,1000}+\]\()(<[^>\n]{1,2000}+>|[^)\s\[]{1,2000}+)((?:\s+"[^"\n]{0,1000}+")?\))'
)
HTML_IMG_RE = re.compile(r'(<img\b[^<>]{0,2000}?\ssrc=")([^"]{1,2000}+)(")', re.IGNORECASE)


# `![alt][label]`, `![label][]` and `![label]`, and the `[label]: address` they name.
REFERENCE_IMAGE_RE = re.compile(r"!\[([^\]\n]{0,1000}+)\](?:\[([^\]\n]{0,1000}+)\])?(?![(\[:])")
DEFINITION_RE = re.compile(r"^ {0,3}\[([^\]\n]{1,1000}+)\]:[ \t]*<?([^\s>]{1,2000}+)", re.M)


def _label(text):
    return " ".join(text.split()).lower()


def reference_images(body):
    """(index, alt, address) of each reference-style image whose label `body` defines."""
    if "]:" not in body:
        return []
    defined = {}
    for match in DEFINITION_RE.finditer(body):
        defined.setdefault(_label(match.group(1)), match.group(2))
    found = []
    for match in REFERENCE_IMAGE_RE.finditer(body):
        alt, label = match.group(1), match.group(2)
        src = defined.get(_label(label or alt))
        if src is not None:
            found.append((match.start(), alt, src))
    return found


def sources(body):
    """Each image address in `body`, in order, once, as written (angle brackets taken off)."""
    found = {}
    for match in IMAGE_RE.finditer(body):
        src = match.group(2)
        found[src[1:-1] if src.startswith("<") else src] = None
    for _index, _alt, src in reference_images(body):
        found[src] = None
    for match in HTML_IMG_RE.finditer(body):
        found[match.group(2)] = None
    return list(found)


def storage_name(src, base_url):
    """The storage name an address under the media storage's `base_url` stands for, or None
    (also for a name no file can have: %00 is a NUL, which PostgreSQL refuses to compare)."""
    if not (base_url and src.startswith(base_url) and len(src) > len(base_url)):
        return None
    name = unquote(src[len(base_url) :].partition("?")[0].partition("#")[0])
    return None if "\x00" in name else name


def storage_names(body, base_url):
    """{storage name: address} of the images of `body` under the media storage's `base_url`."""
    names = {}
    for src in sources(body):
        if (name := storage_name(src, base_url)) is not None:
            names.setdefault(name, src)
    return names
