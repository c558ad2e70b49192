"""Search that understands Chinese, on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

Neither database splits Chinese into words, so the splitting happens here, in Python, the same
way for documents and queries: a run of CJK characters becomes its overlapping character
bigrams ("感受野" → "感受 受野"), Latin text becomes lowercased words (camelCase also in its
parts). Each post's token text is stored in SearchEntry when it is saved; the database indexes
it, and a query is a phrase per CJK run and a word per Latin word, all of which must match.
Results rank a match in the title above one in the tags, above one in the body; newer first.

A post's category and tags are stored as label tokens (`xlblc12x` for category 12), not as
their names: renaming a category of thousands of posts then changes no post's entry. A query
term matches a label when it matches the label's name (looked up among all categories and
tags, a small table, at query time), and then stands for the term or any such label.
"""

import html
import re
import unicodedata
from dataclasses import dataclass, replace

from django.db import connection
from django.db.models import IntegerField
from django.db.models.expressions import RawSQL

from .rendering.prose import as_html, units

CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002ffff"
TOKEN_RE = re.compile(rf"(?P<cjk>[{CJK}]+)|(?P<word>[^\W_{CJK}]+)")
CAMEL_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
MAX_QUERY_TERMS = 16
# Particles that join words in a Chinese query ("空洞卷积的感受野"): the query's run is cut at
# them, so each side must match as written, not the whole run as one phrase.
PARTICLES = "的了和与及或在是对把被之"
PARTICLE_RE = re.compile(f"[{PARTICLES}]")
MAX_TERM_TOKENS = 24
FTS_TABLE = "blog_search_fts"
# Label tokens start with this; no word of an article is indexed under it (see label_token).
LABEL_PREFIX = "xlbl"


def normalize(text):
    """Full-width letters and digits to ASCII, compatibility forms folded (NFKC); lone
    surrogates, which no one can type on purpose, dropped."""
    text = (text or "").encode("utf-8", "ignore").decode("utf-8")
    return unicodedata.normalize("NFKC", text)


def bigrams(run):
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def document_tokens(text):
    """The token text stored for a piece of a post: space-separated, positions preserved."""
    tokens = []
    for match in TOKEN_RE.finditer(normalize(text)):
        if match.group("cjk"):
            tokens.extend(bigrams(match.group("cjk")))
            continue
        word = match.group("word")
        if word.lower().startswith(LABEL_PREFIX):
            continue  # reserved for label tokens
        tokens.append(word.lower())
        if word != word.lower() and word != word.upper():
            # DistributedDataParallel is also distributed, data, parallel.
            parts = CAMEL_RE.findall(word)
            if len(parts) > 1:
                tokens.extend(part.lower() for part in parts)
    return " ".join(tokens)


@dataclass(frozen=True)
class Term:
    """One thing every result must contain: a Latin word, or a CJK run (as a phrase of its
    bigrams; a single character matches as the start of a bigram)."""

    text: str
    tokens: tuple
    prefix: bool = False
    labels: tuple = ()  # tokens of the categories and tags whose names contain it


def label_token(kind, pk):
    """The token a post's entry carries for its category ("c") or a tag ("t")."""
    return f"{LABEL_PREFIX}{kind}{pk}x"


_label_memo = {}


def label_names():
    """(label token, name tokens) of every category and tag, read once per generation of
    the site's content (blog.freshness), so a rename is seen at once."""
    from taggit.models import Tag

    from . import freshness, lists

    generation = freshness.generation()
    if _label_memo.get("generation") != generation:
        # The categories as the navigation has them (kept under the site's freshness).
        labels = [(label_token("c", c.pk), c.name) for c in lists.site_categories()]
        labels += [(label_token("t", pk), name) for pk, name in
                   Tag.objects.values_list("pk", "name")]  # fmt: skip
        _label_memo["labels"] = [(t, tuple(document_tokens(n).split())) for t, n in labels]
        _label_memo["generation"] = generation
    return _label_memo["labels"]


def _contains(haystack, needle, prefix):
    if prefix:
        return any(token.startswith(needle[0]) for token in haystack)
    width = len(needle)
    return any(haystack[i : i + width] == needle for i in range(len(haystack) - width + 1))


def with_labels(terms):
    """Each term with the labels whose names contain it, as a phrase would."""
    labels = label_names()
    return [
        replace(term, labels=tuple(t for t, name in labels if _contains(name, term.tokens,
                                                                        term.prefix)))
        for term in terms
    ]  # fmt: skip


def parse_query(query):
    terms = []
    for match in TOKEN_RE.finditer(normalize(query)[:500]):
        if match.group("cjk"):
            run = match.group("cjk")
            pieces = [p for p in PARTICLE_RE.split(run) if p] if len(run) > 2 else [run]
            if any(len(p) > 1 for p in pieces):
                # A lone character left over by the cut ("相同的词" → 词) says too little.
                pieces = [p for p in pieces if len(p) > 1]
            for piece in pieces or [run]:
                tokens = tuple(bigrams(piece))[:MAX_TERM_TOKENS]
                terms.append(Term(piece, tokens, prefix=len(piece) == 1))
        else:
            word = match.group("word").lower()
            terms.append(Term(word, (word,)))
    unique = list(dict.fromkeys(terms))
    return unique[:MAX_QUERY_TERMS]


# --- SQLite FTS5 --------------------------------------------------------------------------


def fts5_expression(terms, columns=None):
    def either(term):
        phrase = f'"{" ".join(term.tokens)}"' + ("*" if term.prefix else "")
        return "(" + " OR ".join([phrase, *(f'"{label}"' for label in term.labels)]) + ")"

    phrases = " AND ".join(either(term) for term in terms)
    if columns:
        return f"{{{' '.join(columns)}}} : ({phrases})"
    return phrases


# --- PostgreSQL tsquery -------------------------------------------------------------------


def tsquery(terms):
    parts = []
    for term in terms:
        if term.prefix:
            words = f"'{term.tokens[0]}':*"
        else:
            words = " <-> ".join(f"'{token}'" for token in term.tokens)
        parts.append(" | ".join([f"({words})", *(f"'{label}'" for label in term.labels)]))
    return " & ".join(f"({part})" for part in parts)


_fts5_tables = {}


def has_fts5():
    """Whether this SQLite database has the full-text table (it has, wherever SQLite was
    built with FTS5, as every current Python's is). Asked once per database file and
    process: a connection lasts one request, and the answer only changes with a migration."""
    name = connection.settings_dict["NAME"]
    known = _fts5_tables.get(name)
    if known is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [FTS_TABLE]
            )
            known = cursor.fetchone() is not None
        _fts5_tables[name] = known
    return known


def match_selects(terms):
    """([SQL], [parameter]) of the ids of posts matching `terms` anywhere, in the title, and
    in the title or tags, from the database's full-text index; None without one."""
    vendor = connection.vendor
    if vendor == "postgresql":
        # OFFSET 0 keeps the planner from pulling the match into a join with the posts: it
        # would then read every entry's whole vector (a query matching a category's third
        # of all posts took 1.6 s at 100,000 posts; planned on its own, through the GIN
        # index, 0.27 s).
        match = "SELECT post_id FROM blog_searchentry WHERE {} @@ to_tsquery('simple', %s) OFFSET 0"
        query = tsquery(terms)
        return [match.format(v) for v in ("vector", "title_vector", "head_vector")], [query] * 3
    if vendor == "sqlite" and has_fts5():
        select = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
        queries = [
            fts5_expression(terms),
            fts5_expression(terms, ["title"]),
            fts5_expression(terms, ["title", "tags"]),
        ]
        return [select] * 3, queries
    return None


def search_posts(queryset, query):
    """`queryset` (already the published posts) narrowed to those matching `query`,
    annotated with `search_tier` (3 title, 2 tags, 1 body) and ordered best first.
    An empty or meaningless query gives an empty queryset."""
    terms = parse_query(query)
    if not terms:
        return queryset.none(), terms
    terms = with_labels(terms)
    matches = match_selects(terms)
    if matches is None:
        return _scan(queryset, terms).order_by("-search_tier", "-published_at", "-id"), terms
    selects, queries = matches
    # The index finds the matching ids (uncorrelated subqueries, each run once); the posts
    # are then fetched by primary key. Joining the index table instead lets the planner walk
    # every published post and probe the index per row.
    tier = RawSQL(
        f"CASE WHEN blog_post.id IN ({selects[1]}) THEN 3 "
        f"WHEN blog_post.id IN ({selects[2]}) THEN 2 ELSE 1 END",
        queries[1:],
        output_field=IntegerField(),
    )
    matched = queryset.filter(id__in=RawSQL(selects[0], [queries[0]])).annotate(search_tier=tier)
    return matched.order_by("-search_tier", "-published_at", "-id"), terms


def _scan(queryset, terms):
    """Without a full-text index (another database, or SQLite without FTS5): the same
    results from a scan of the stored token text, slower."""
    from django.db.models import Case, IntegerField, Q, Value, When

    def contains(field, term):
        if field == "tags":
            found = Q(pk__in=[])
            for label in term.labels:
                found |= Q(search_entry__tags__contains=label)
            return found
        return Q(**{f"search_entry__{field}__contains": " ".join(term.tokens)})

    def everywhere(term):
        return contains("title", term) | contains("tags", term) | contains("body", term)

    matched = queryset
    for term in terms:
        matched = matched.filter(everywhere(term))
    in_title = Q()
    in_title_or_tags = Q()
    for term in terms:
        in_title &= contains("title", term)
        in_title_or_tags &= contains("title", term) | contains("tags", term)
    return matched.annotate(
        search_tier=Case(
            When(in_title, then=Value(3)),
            When(in_title_or_tags, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )


# --- Snippets -----------------------------------------------------------------------------


def _needles(terms):
    return [term.text for term in terms if term.text]


def highlight(text, terms):
    """`text` escaped, with every occurrence of the query's words in <mark>."""
    needles = sorted(_needles(terms), key=len, reverse=True)
    if not needles:
        return html.escape(text)
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    out, position = [], 0
    folded = normalize(text)
    if len(folded) != len(text):
        folded = text  # NFKC changed lengths: match on the text as it is
    for match in pattern.finditer(folded):
        out.append(html.escape(text[position : match.start()]))
        out.append(f"<mark>{html.escape(text[match.start() : match.end()])}</mark>")
        position = match.end()
    out.append(html.escape(text[position:]))
    return "".join(out)


def snippet(text, terms, width=90):
    """About `width` characters of `text` around the first match, highlighted. Short
    formulas in the text (blog.rendering.prose atoms) show as MathML and are never cut."""
    pieces = units(text)
    plain = "".join(piece for piece, _atom in pieces)
    atoms, position = [], 0  # (start, end, html) in `plain`
    for piece, atom in pieces:
        if atom is not None:
            atoms.append((position, position + len(piece), as_html(atom)))
        position += len(piece)
    begin, end = _window(plain, terms, width)
    for start, stop, _html in atoms:
        if start < begin < stop:
            begin = start
        if start < end < stop:
            end = stop
    out, position = [], begin
    for start, stop, html_ in atoms:
        if start >= begin and stop <= end:
            out += [highlight(plain[position:start], terms), html_]
            position = stop
    out.append(highlight(plain[position:end], terms))
    prefix = "…" if begin > 0 else ""
    suffix = "…" if end < len(plain) else ""
    return prefix + "".join(out) + suffix


def _window(text, terms, width):
    """(begin, end) of the part of `text` a snippet shows."""
    needles = _needles(terms)
    lowered = normalize(text).lower()
    if len(lowered) != len(text):
        lowered = text.lower()
    starts = [i for i in (lowered.find(n.lower()) for n in needles) if i >= 0]
    if not starts:
        return 0, min(len(text), width)
    first = min(starts)
    begin = max(0, first - width // 3)
    # Never start inside a Latin word ("…ics。").
    while 0 < begin < first and text[begin - 1].isascii() and text[begin - 1].isalnum():
        begin += 1
    while begin < first and text[begin] == " ":
        begin += 1
    return begin, min(len(text), begin + width)
