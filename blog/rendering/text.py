"""Plain text from rendered HTML: the excerpt on lists and in feeds, and the reading time."""

import math
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

from django.conf import settings

PLACEHOLDERS = {
    "zh": {"math": "[公式]", "code": "[代码]", "image": "[图片]"},
    "en": {"math": "[Formula]", "code": "[Code]", "image": "[Image]"},
}
SKIPPED = {"h1", "h2", "h3", "h4", "h5", "h6", "table", "sup", "script", "style"}
BLOCKS = {"p", "div", "li", "blockquote", "dd", "dt", "br", "pre", "ul", "ol", "dl", "hr"}
SECONDS_PER_FORMULA = 6

CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
WORD_RE = re.compile(r"[A-Za-z0-9_]+(?:['.-][A-Za-z0-9_]+)*")
CJK_PER_MINUTE = 400
WORDS_PER_MINUTE = 200


def placeholders():
    lang = "zh" if settings.LANGUAGE_CODE.lower().startswith("zh") else "en"
    return PLACEHOLDERS[lang]


class _TextWalker(HTMLParser):
    """Collects the text of rendered HTML with formulas, code and images as placeholders.

    `reading` keeps code too (a reader reads it); formulas are counted, not spelled out."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
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
            self.parts.append(f" {self.marks['image']} ")
        elif tag in BLOCKS:
            self.parts.append(" ")

    def _skip(self, tag, mark, reading=True):
        self.skip_depth, self.skip_tag, self.skip_reading = 1, tag, not reading
        if mark:
            self.parts.append(f" {mark} ")

    def handle_endtag(self, tag):
        if self.skip_depth and tag == self.skip_tag:
            self.skip_depth -= 1
        elif tag in BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not (self.skip_depth and self.skip_reading):
            self.reading.append(data)
        if not self.skip_depth:
            self.parts.append(data)


def collapse(text):
    return re.sub(r"\s+", " ", text).strip()


def _width(ch):
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5


def truncate(text, width):
    """Cuts `text` to about `width` full-width characters (a Latin letter counts half) without
    splitting a Latin word or a placeholder, and ends it with "..." when anything was cut."""
    used, cut = 0.0, 0
    while cut < len(text) and used + _width(text[cut]) <= width:
        used += _width(text[cut])
        cut += 1
    if cut == len(text):
        return text
    # Step back out of a Latin word or a [placeholder] the cut fell inside.
    if text[cut].isascii() and not text[cut].isspace():
        start = cut
        while start > 0 and text[start - 1].isascii() and not text[start - 1].isspace():
            start -= 1
        if start > 0:
            cut = start
    open_bracket = text.rfind("[", 0, cut)
    if open_bracket > text.rfind("]", 0, cut):
        cut = open_bracket
    return text[:cut].rstrip(" ,.;:!?，。；：！？、—-") + "..."


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
    walker = _TextWalker()
    walker.feed(html)
    walker.close()
    return Texts(
        collapse("".join(walker.parts)), collapse("".join(walker.reading)), walker.formulas
    )


def text_of(html):
    return texts_of(html).plain


def excerpt_and_reading(html):
    texts = texts_of(html)
    excerpt = truncate(texts.plain, settings.BLOG["EXCERPT_WIDTH"])
    return excerpt, reading_minutes(texts.reading, texts.formulas)
