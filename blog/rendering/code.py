"""Code blocks: Pygments on the server, CSS classes only, one stylesheet with a dark variant;
highlighting within the rendering budget (blog.rendering.limits)."""

import re

from markdown.extensions.codehilite import CodeHilite, HiliteTreeprocessor
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from pygments.formatters import HtmlFormatter
from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES

from . import limits

LIGHT_STYLE = "xcode"
DARK_STYLE = "github-dark"
LIGHT_BACKGROUND = "#f6f5f1"
DARK_BACKGROUND = "#1e2026"
MIN_CONTRAST = 4.5  # WCAG AA for code, measured against the block's own background

# The short class names Pygments gives its tokens ("k", "nf", "s2"…): the sanitizer keeps
# these on <span> and nothing else.
TOKEN_CLASSES = frozenset(name for name in STANDARD_TYPES.values() if name)


class CodeFormatter(HtmlFormatter):
    """Pygments' HTML with the block's language kept on <code> (`language-python`), the
    convention other tools and readers' extensions look for."""

    # Pygments builds its token-to-class table anew for every block (1.5 ms, most of the
    # cost of a short block); it depends only on the style and the class prefix.
    _stylesheets = {}

    def __init__(self, lang_str="", **options):
        super().__init__(**options)
        self.lang_str = lang_str

    def _create_stylesheet(self):
        key = (self.style, self.classprefix)
        if (cached := self._stylesheets.get(key)) is None:
            super()._create_stylesheet()
            self._stylesheets[key] = (self.ttype2class, self.class2style)
        else:
            self.ttype2class, self.class2style = cached

    def _wrap_code(self, source):
        language = re.sub(r"[^A-Za-z0-9_+#.-]", "", self.lang_str)
        if language == "language-text":  # what a block without a language gets: plain
            language = ""
        yield 0, f'<code class="{language}">' if language else "<code>"
        yield from source
        yield 0, "</code>"


class BoundedFencedBlockPreprocessor(FencedBlockPreprocessor):
    """Python-Markdown's fenced code blocks, handed to it one block at a time: given the whole
    text, it rebuilds all of it after each block (quadratic: 1 MB of short blocks never
    finished). A block is highlighted only while the rendering budget allows."""

    def run(self, lines):
        if not self.checked_for_deps:
            super().run([])  # reads codehilite's settings, which `_one` then varies
        text = "\n".join(lines)
        budget = limits.current()
        out, pos = [], 0
        while (match := self.FENCED_BLOCK_RE.search(text, pos)) is not None:
            if budget is not None:
                budget.check()
            plain = budget is not None and budget.skip_highlighting(match.group("code"))
            block = match.group(0)
            converted = self._one(block, plain)
            if converted == block:
                # Attributes it refuses: like Python-Markdown, look again after them.
                after = match.end("attrs") if match.group("attrs") is not None else match.end()
                out.append(text[pos:after])
                pos = after
                continue
            out.append(text[pos : match.start()])
            out.append(converted)
            pos = match.end()
        out.append(text[pos:])
        return "".join(out).split("\n")

    def _one(self, block, plain):
        conf = self.codehilite_conf
        if plain and conf:
            self.codehilite_conf = {**conf, "use_pygments": False}
        try:
            return "\n".join(super().run(block.split("\n")))
        finally:
            self.codehilite_conf = conf


class BoundedHiliteTreeprocessor(HiliteTreeprocessor):
    """Indented code blocks, highlighted while the rendering budget allows; past it they stay
    the plain <pre><code> Markdown made."""

    def run(self, root):
        budget = limits.current()
        for block in root.iter("pre"):
            if len(block) != 1 or block[0].tag != "code" or block[0].text is None:
                continue
            code = self.code_unescape(block[0].text)
            if budget is not None and budget.skip_highlighting(code):
                continue
            config = self.config.copy()
            style = config.pop("pygments_style", "default")
            html = CodeHilite(code, tab_length=self.md.tab_length, style=style, **config).hilite()
            block.clear()
            block.tag = "p"  # Markdown drops the <p> around a stashed block
            block.text = self.md.htmlStash.store(html)


def _luminance(hex_colour):
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b):
    la, lb = _luminance(a), _luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def _toward(hex_colour, target, step=0.08):
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    rgb = [int(value[i : i + 2], 16) for i in (0, 2, 4)]
    end = [int(target[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (e - c) * step):02x}" for c, e in zip(rgb, end, strict=True))


def readable(colour, background):
    """`colour`, moved toward black or white just enough to reach MIN_CONTRAST."""
    target = "#000000" if _luminance(background) > 0.18 else "#ffffff"
    while contrast(colour, background) < MIN_CONTRAST:
        colour = _toward(colour, target)
    return colour


def _rules(style_name, background):
    formatter = HtmlFormatter(style=get_style_by_name(style_name))
    lines = []
    for line in formatter.get_style_defs(".highlight").splitlines():
        if not line.startswith(".highlight .") or "{" not in line:
            continue  # the block's own background and line-number rules are ours
        selector, _, declarations = line.partition("{")
        declarations = declarations.split("}")[0]
        declarations = re.sub(r"background-color: #[0-9a-fA-F]{3,6};?", "", declarations)
        declarations = re.sub(r"border: [^;]+;?", "", declarations)
        declarations = re.sub(
            r"(?<![-\w])color: (#[0-9a-fA-F]{3,6})",
            lambda m: f"color: {readable(m.group(1), background)}",
            declarations,
        )
        if declarations.strip():
            lines.append(f"{selector.strip()} {{ {declarations.strip()} }}")
    return lines


START_MARK = "/* pygments:start (python manage.py pygments_css) */"
END_MARK = "/* pygments:end */"


def stylesheet():
    """The Pygments part of site.css: light rules, then the dark variant."""
    light = _rules(LIGHT_STYLE, LIGHT_BACKGROUND)
    dark = _rules(DARK_STYLE, DARK_BACKGROUND)
    # A token the light style colours but the dark one does not must not keep its light
    # colour (black on dark grey): it falls back to the text colour.
    dark_selectors = {rule.split(" {")[0] for rule in dark}
    dark += [
        f"{selector} {{ color: inherit; font-weight: inherit; font-style: inherit }}"
        for selector in (rule.split(" {")[0] for rule in light)
        if selector not in dark_selectors
    ]
    return "\n".join(
        [
            f"/* Pygments {LIGHT_STYLE} and {DARK_STYLE}, each colour at least "
            f"{MIN_CONTRAST}:1 on its block. */",
            f".highlight {{ background: {LIGHT_BACKGROUND}; }}",
            *light,
            "@media (prefers-color-scheme: dark) {",
            f"  .highlight {{ background: {DARK_BACKGROUND}; }}",
            *(f"  {rule}" for rule in dark),
            "}",
        ]
    )
