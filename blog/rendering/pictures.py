"""Images the blog keeps, as the page shows them: each `<img>` of a known image gets its
width and height (nothing jumps while it loads), its smaller widths in `srcset`, and the
WebP and AVIF renditions in a `<picture>` around it, for the browsers that take them. The
renditions were made on upload (blog.images.renditions), never per request; what is known
about them comes in as a `Picture` per address, so rendering stays a pure function."""

import xml.etree.ElementTree as ET
from dataclasses import dataclass

# The article column is 42em wide (static/css/site.css) with 1.25rem on each side below it.
SIZES = "(min-width: 46em) 42em, calc(100vw - 2.5rem)"
# The `src` of browsers that read no srcset: sharp in the column, not the camera's original.
PLAIN_WIDTH = 1600


@dataclass(frozen=True)
class Picture:
    width: int
    height: int
    alt: str = ""
    srcset: tuple = ()  # ((url, width), …) in the image's own format, the original last
    sources: tuple = ()  # (("image/avif", ((url, width), …)), …)


def _srcset(candidates):
    return ", ".join(f"{url} {width}w" for url, width in candidates)


def _plain(candidates):
    fitting = [c for c in candidates if c[1] <= PLAIN_WIDTH]
    return max(fitting, key=lambda c: c[1]) if fitting else min(candidates, key=lambda c: c[1])


def dress(root, pictures):
    """Every <img> under `root` whose src `pictures` knows, given its sizes and renditions."""
    if not pictures:
        return
    for parent in list(root.iter()):
        for index, child in enumerate(list(parent)):
            if child.tag != "img":
                continue
            picture = pictures.get(child.get("src", ""))
            if picture is None:
                continue
            _size(child, picture)
            if not child.get("alt") and picture.alt:
                child.set("alt", picture.alt)
            if picture.srcset:
                child.set("src", _plain(picture.srcset)[0])
                child.set("srcset", _srcset(picture.srcset))
                child.set("sizes", SIZES)
            if picture.sources:
                wrapper = ET.Element("picture")
                for kind, candidates in picture.sources:
                    ET.SubElement(
                        wrapper, "source", type=kind, srcset=_srcset(candidates), sizes=SIZES
                    )
                wrapper.tail, child.tail = child.tail, None
                parent.remove(child)
                wrapper.append(child)
                parent.insert(index, wrapper)


def _size(img, picture):
    if not (picture.width and picture.height):
        return
    width, height = img.get("width", ""), img.get("height", "")
    # The author's own width (a smaller figure) is kept, with the height that keeps its shape.
    if width.isdigit() and not height:
        img.set("height", str(round(int(width) * picture.height / picture.width)))
    elif height.isdigit() and not width:
        img.set("width", str(round(int(height) * picture.width / picture.height)))
    elif not width and not height:
        img.set("width", str(picture.width))
        img.set("height", str(picture.height))
