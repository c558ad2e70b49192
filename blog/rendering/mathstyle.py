"""math-core's inline styles turned into classes of our stylesheet.

math-core writes `style` on table cells and a few other elements: the alignment Chromium's
math layout honours (it ignores `columnalign`), the padding and widths of numbered rows, the
rules of an array, `\\color`. Our Content-Security-Policy applies no inline style (look.md),
so each declaration becomes one class from a fixed table, drawn by the MathML section of
static/css/site.css; a declaration outside the table is dropped, so nothing an author writes
can reach the page as CSS (blog.rendering.sanitize allows these classes and no `style`).
An upgrade of math-core that writes something new shows in tests/test_math_snapshots.py.
"""

import colorsys
import re

LENGTHS = {"0": "0", "0.1em": "thin", "0.1667em": "sixth", "1em": "1em", "0.3em": "third"}
WIDTHS = {"100%": "full", "50%": "half", "7.5%": "margin"}
SIDES = ("top", "right", "bottom", "left")
RULE_RE = re.compile(r"0\.05em (solid|dashed) currentcolor")
HEX_RE = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
# \color: the hue of the author's colour, as one of a few tones readable in light and dark.
TONES = ((0, "red"), (30, "orange"), (55, "yellow"), (120, "green"), (180, "teal"),
         (220, "blue"), (280, "purple"), (330, "magenta"), (360, "red"))  # fmt: skip


def _tone(hex_digits):
    if len(hex_digits) == 3:
        hex_digits = "".join(d * 2 for d in hex_digits)
    r, g, b = (int(hex_digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    hue, lightness, saturation = colorsys.rgb_to_hls(r, g, b)
    if saturation < 0.2 or lightness < 0.1 or lightness > 0.95:
        return "muted" if 0.25 < lightness < 0.75 else None  # black and white: the text's
    degrees = hue * 360
    return min(TONES, key=lambda tone: abs(tone[0] - degrees))[1]


def _class(name, value):
    if name == "text-align" and value in ("left", "right", "center"):
        return f"mc-align-{value}"
    if name == "justify-items" and value in ("start", "end", "center"):
        return None  # the same alignment as text-align, which our class sets both ways
    if name.startswith("padding-") and name[8:] in SIDES and value in LENGTHS:
        return f"mc-pad-{name[8:]}-{LENGTHS[value]}"
    if name == "width" and value in WIDTHS:
        return f"mc-width-{WIDTHS[value]}"
    if name.startswith("border-") and name[7:] in SIDES and (rule := RULE_RE.fullmatch(value)):
        return f"mc-rule-{name[7:]}-{rule.group(1)}"
    if name == "color" and (colour := HEX_RE.fullmatch(value)):
        tone = _tone(colour.group(1))
        return f"mc-tone-{tone}" if tone else None
    if name == "font-variant-caps" and value == "small-caps":
        return "mc-small-caps"
    if name == "math-shift" and value == "compact":
        return "mc-shift-compact"
    return None


def classes_for(style):
    """The classes for one `style` value (declarations the table lacks are dropped)."""
    found = []
    for declaration in style.split(";"):
        name, colon, value = declaration.partition(":")
        if not colon:
            continue
        name, value = name.strip().lower(), " ".join(value.split())
        padding = value.split(" ")
        if name == "padding" and len(padding) in (1, 4):
            # padding: T [R B L], one class a side
            sides = padding * 4 if len(padding) == 1 else padding
            found += [_class(f"padding-{side}", v) for side, v in zip(SIDES, sides, strict=True)]
            continue
        found.append(_class(name, value))
    return [c for c in dict.fromkeys(found) if c]


def declarations_dropped(style):
    """The declarations of `style` that no class stands for (for the snapshot test)."""
    dropped = []
    for declaration in style.split(";"):
        if declaration.strip() and not classes_for(declaration):
            name = declaration.partition(":")[0].strip().lower()
            if name != "justify-items":
                dropped.append(declaration.strip())
    return dropped


ELEMENT_RE = re.compile(r"<(m[a-z]+|span)\b([^<>]*?)\s?/?>")
STYLE_RE = re.compile(r'\sstyle="([^"]*)"')
CLASS_RE = re.compile(r'\sclass="([^"]*)"')


def to_classes(mathml):
    """`mathml` with each style attribute replaced by our classes."""

    def element(match):
        tag = match.group(0)
        style = STYLE_RE.search(tag)
        if style is None:
            return tag
        classes = classes_for(style.group(1))
        tag = tag[: style.start()] + tag[style.end() :]
        if not classes:
            return tag
        existing = CLASS_RE.search(tag)
        if existing:
            joined = " ".join([existing.group(1), *classes])
            return tag[: existing.start()] + f' class="{joined}"' + tag[existing.end() :]
        name_end = len(match.group(1)) + 1
        return tag[:name_end] + f' class="{" ".join(classes)}"' + tag[name_end:]

    return ELEMENT_RE.sub(element, mathml)


ALL_CLASSES = (
    {f"mc-align-{v}" for v in ("left", "right", "center")}
    | {f"mc-pad-{side}-{size}" for side in SIDES for size in LENGTHS.values()}
    | {f"mc-width-{w}" for w in WIDTHS.values()}
    | {f"mc-rule-{side}-{kind}" for side in SIDES for kind in ("solid", "dashed")}
    | {f"mc-tone-{tone}" for _, tone in TONES}
    | {"mc-tone-muted", "mc-small-caps", "mc-shift-compact"}
)
