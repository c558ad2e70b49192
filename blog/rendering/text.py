"""Plain text from rendered HTML: the excerpt on lists and in feeds, and the reading time.

Short inline formulas stay in the text as atoms (blog.rendering.prose): their MathML in an
excerpt's HTML, their readable text where only text is allowed.
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

from django.conf import settings

from . import prose

PLACEHOLDERS = {
    "zh": {"math": "[公式]", "code": "[代码]", "image": "[图片]"},
    "en": {"math": "[Formula]", "code": "[Code]", "image": "[Image]"},
}
SKIPPED = {"h1", "h2", "h3", "h4", "h5", "h6", "table", "sup", "script", "style"}
BLOCKS = {"p", "div", "li", "blockquote", "dd", "dt", "br", "pre", "ul", "ol", "dl", "hr"}
SECONDS_PER_FORMULA = 6

CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# Each inline formula is taken out before the walk and stands in the text as a token.
# One <math> (never reaching into the next one), closed by its own span: linear, and never
# taking in an author's tags from around it.
INLINE_FORMULA_RE = re.compile(
    r'<span class="math math-inline"><math\b(?:(?!</?math\b).)*</math></span>', re.S
)
TOKEN_OPEN, TOKEN_CLOSE = "\ue210", "\ue211"
# The space put around a placeholder: a space between Latin words ("Loss [Formula] then"),
# nothing beside Chinese text or punctuation ("计算，[公式]为").
PAD = "\ue212"
CJK_SIDE = r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\s]"
MARKERS = dict.fromkeys(
    map(ord, prose.ATOM_OPEN + prose.ATOM_SPLIT + prose.ATOM_CLOSE + TOKEN_OPEN + TOKEN_CLOSE + PAD)
)
PAD_BESIDE_CJK_RE = re.compile(f"(?<={CJK_SIDE}){PAD}+|{PAD}+(?={CJK_SIDE})|^{PAD}+|{PAD}+$")
TOKEN_RE = re.compile(f"{TOKEN_OPEN}(\\d+|d){TOKEN_CLOSE}")
# A display formula is only a placeholder here: taken out whole before the walk, its MathML
# (most of a formula-heavy article's bytes) is never parsed.
DISPLAY_FORMULA_RE = re.compile(
    r'<div class="math math-display[^"]*">(?:(?!</?div\b).)*</div>', re.S
)
DISPLAY_TOKEN = f"{TOKEN_OPEN}d{TOKEN_CLOSE}"
WORD_RE = re.compile(r"[A-Za-z0-9_]+(?:['.-][A-Za-z0-9_]+)*")
CJK_PER_MINUTE = 400
WORDS_PER_MINUTE = 200


def placeholders():
    lang = "zh" if settings.LANGUAGE_CODE.lower().startswith("zh") else "en"
    return PLACEHOLDERS[lang]


class _TextWalker(HTMLParser):
    """Collects the text of rendered HTML with formulas, code and images as placeholders.

    `reading` keeps code too (a reader reads it); formulas are counted, not spelled out."""

    def __init__(self, formulas=()):
        super().__init__(convert_charrefs=True)
        self.inline_formulas = formulas
        self.parts, self.reading = [], []
        self.formulas = 0
        self.skip_depth, self.skip_tag, self.skip_reading = 0, None, False
        self.marks = placeholders()

    def handle_starttag(self, tag, attrs):
        if self.skip_depth:
            if tag == self.skip_tag:
                self.skip_depth += 1
            return
        classes = (dict(attrs).get("class") or "").split()
        if "math" in classes:
            self.formulas += 1
            self._skip(tag, self.marks["math"], reading=False)
        elif tag == "pre":
            self._skip(tag, self.marks["code"])
        elif tag in SKIPPED:
            self._skip(tag, None)
        elif tag == "img":
            self.parts.append(f"{PAD}{self.marks['image']}{PAD}")
        elif tag in BLOCKS:
            self.parts.append(" ")

    def _skip(self, tag, mark, reading=True):
        self.skip_depth, self.skip_tag, self.skip_reading = 1, tag, not reading
        if mark:
            self.parts.append(f"{PAD}{mark}{PAD}")

    def handle_endtag(self, tag):
        if self.skip_depth and tag == self.skip_tag:
            self.skip_depth -= 1
        elif tag in BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data):
        if TOKEN_OPEN in data:
            if not self.skip_depth:
                self.formulas += len(TOKEN_RE.findall(data))
            for i, piece in enumerate(TOKEN_RE.split(data)):
                if i % 2:
                    if self.skip_depth:
                        continue
                    if piece == "d":
                        self.parts.append(f"{PAD}{self.marks['math']}{PAD}")
                    else:
                        self.parts.append(self._formula(int(piece)))
                else:
                    self.handle_data(piece)
            return
        if not (self.skip_depth and self.skip_reading):
            self.reading.append(data)
        if not self.skip_depth:
            self.parts.append(data)

    def _formula(self, index):
        html = self.inline_formulas[index]
        text = prose.readable(html)
        if text is None or len(text) > prose.MAX_FORMULA_CHARACTERS:
            return f"{PAD}{self.marks['math']}{PAD}"
        return prose.atom(text, html)


# Full-width punctuation carries its own space: none is added after it.
AFTER_CJK_PUNCTUATION_RE = re.compile(r"(?<=[。，、；：！？）」』】》])\s+")


def collapse(text):
    return re.sub(r"\s+", " ", text).strip()


def _width(ch):
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5


def text_width(text):
    return sum(_width(ch) for ch in text)


def _cells(text):
    """(what is kept, its width, whether it is a Latin character) for each character of
    `text`, and each formula atom as one cell as wide as its readable text."""
    cells = []
    for piece, atom in prose.units(text):
        if atom is not None:
            cells.append((atom, text_width(piece), False))
        else:
            cells += [(ch, _width(ch), ch.isascii() and not ch.isspace()) for ch in piece]
    return cells


def truncate(text, width):
    """Cuts `text` to about `width` full-width characters (a Latin letter counts half) without
    splitting a Latin word, a placeholder or a formula, and ends it with "..." when anything
    was cut."""
    cells = _cells(text)
    used, cut = 0.0, 0
    while cut < len(cells) and used + cells[cut][1] <= width:
        used += cells[cut][1]
        cut += 1
    if cut == len(cells):
        return text
    # Step back out of a Latin word or a [placeholder] the cut fell inside.
    if cells[cut][2]:
        start = cut
        while start > 0 and cells[start - 1][2]:
            start -= 1
        if start > 0:
            cut = start
    kept = [cell[0] for cell in cells[:cut]]
    opened = max((i for i, c in enumerate(kept) if c == "["), default=-1)
    if opened > max((i for i, c in enumerate(kept) if c == "]"), default=-1):
        kept = kept[:opened]
    return "".join(kept).rstrip(" ,.;:!?，。；：！？、—-") + "..."


def reading_minutes(text, formulas=0):
    """Chinese characters and Latin words are read at different speeds, so they are counted
    apart: 3,000 characters of Chinese are about 8 minutes, not one."""
    cjk = len(CJK_RE.findall(text))
    words = len(WORD_RE.findall(CJK_RE.sub(" ", text)))
    minutes = cjk / CJK_PER_MINUTE + words / WORDS_PER_MINUTE + formulas * SECONDS_PER_FORMULA / 60
    return max(1, math.ceil(minutes))


@dataclass(frozen=True)
class Texts:
    """What one walk over rendered HTML gives: the text with placeholders (excerpts,
    snippets), everything a reader reads (code included, formulas left out), and how many
    formulas there are."""

    plain: str
    reading: str
    formulas: int


def texts_of(html):
    """The texts of `html`; `plain` carries short inline formulas as atoms (prose.as_text
    and prose.as_html read them)."""
    formulas = []
    # An author's text could hold these characters too: as atoms or tokens they would put
    # whatever follows them into excerpts as HTML.
    html = html.translate(MARKERS)

    def token(match):
        formulas.append(match.group(0))
        return f"{TOKEN_OPEN}{len(formulas) - 1}{TOKEN_CLOSE}"

    walker = _TextWalker(formulas)
    html = DISPLAY_FORMULA_RE.sub(DISPLAY_TOKEN, html)
    walker.feed(INLINE_FORMULA_RE.sub(token, html))
    walker.close()
    plain = PAD_BESIDE_CJK_RE.sub("", "".join(walker.parts)).replace(PAD, " ")
    plain = AFTER_CJK_PUNCTUATION_RE.sub("", collapse(plain))
    return Texts(plain, collapse("".join(walker.reading)), walker.formulas)


def text_of(html):
    """The text of `html` with placeholders, short formulas as their readable text."""
    return prose.as_text(texts_of(html).plain)


@dataclass(frozen=True)
class Excerpt:
    text: str  # formulas as their readable text: feeds' summaries, link previews
    html: str  # formulas as MathML, placeholders kept whole: lists

    @classmethod
    def of(cls, marked):
        html = prose.as_html(marked, placeholders=placeholders().values())
        return cls(prose.as_text(marked), html)


def excerpt_and_reading(html):
    texts = texts_of(html)
    excerpt = Excerpt.of(truncate(texts.plain, settings.BLOG["EXCERPT_WIDTH"]))
    return excerpt, reading_minutes(texts.reading, texts.formulas)
