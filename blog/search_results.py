"""A page of search results, and how many there are, in one statement at any size of blog.

Results rank by tier (a match in the title, then in the tags, then in the body), newest first
within a tier (blog.search.search_posts says the same as a queryset, and the tests hold the
two equal). Sorting every match by tier to take ten made a word in most posts cost as much
as the blog is large: 1 s at 100,000 posts. Here each tier's page is read on its own, newest
first, and at most the first RESULTS_LIMIT results are counted and paged through (past it
the page says "1,000+", as the big search engines do).

On SQLite a tier is read one of two ways, chosen in the statement by its count: a tier of
a few hundred posts from its matches (each post looked up, then sorted), a bigger one by
walking the posts' (status, published_at, id) index newest first and keeping those that
match, which stops after the ten it needs. PostgreSQL's planner makes that choice itself
from its statistics of the index.
"""

from dataclasses import dataclass

from django.db import connection

from .models import Category, Post
from .search import match_selects, parse_query, search_posts, with_labels

RESULTS_LIMIT = 1000
# (tier, its matches, the matches of the tiers above it): indexes into match_selects.
ALL, TITLE, TITLE_OR_TAGS = 0, 1, 2
TIERS = ((3, TITLE, None), (2, TITLE_OR_TAGS, TITLE), (1, ALL, TITLE_OR_TAGS))
CARD_COLUMNS = (
    "id", "title", "slug", "category_id", "excerpt", "excerpt_html", "reading_minutes",
    "published_at", "updated_at",
)  # fmt: skip


@dataclass
class Results:
    """One page of results: posts (with `category`, `entry_text` and `search_tier`), how
    many results can be paged through, and whether there are more than that."""

    posts: list
    count: int
    more: bool


def results_page(queryset, query, number, size):
    """The results of `query` among `queryset` (the published posts) on page `number`.
    Returns (Results, the query's terms for highlighting)."""
    terms = parse_query(query)
    if not terms:
        return Results([], 0, False), terms
    terms = with_labels(terms)
    matches = match_selects(terms)
    start = (number - 1) * size
    if matches is None:
        return _scanned(queryset, query, start, size), terms
    if start >= RESULTS_LIMIT:
        return Results([], RESULTS_LIMIT, True), terms  # past what is paged through
    sql, params = _statement(queryset, matches, start, size)
    rows = list(Post.objects.raw(sql, params))
    counts = [getattr(rows[0], f"count_{tier}") for tier, _m, _e in TIERS] if rows else [0]
    found = sum(counts)
    posts = []
    for post in rows:
        if post.pk is None:  # the row that only carries the counts: an empty page
            continue
        post.category = Category(
            pk=post.category_id, name=post.category_name, slug=post.category_slug
        )
        posts.append(post)
    # The last page stops at the limit, as the count does.
    posts = posts[: RESULTS_LIMIT - start]
    return Results(posts, min(found, RESULTS_LIMIT), found > RESULTS_LIMIT), terms


def _statement(queryset, matches, start, size):
    selects, queries = matches
    compiler = queryset.query.get_compiler(connection=connection)
    published, published_params = compiler.compile(queryset.query.where)
    sqlite = connection.vendor == "sqlite"
    need = start + size

    def member(tier, walk):
        _tier, inside, above = TIERS[tier]
        # On SQLite a unary plus keeps the planner from driving the read from the matches:
        # it then walks the publication index, in the order the page wants.
        column = '+"blog_post"."id"' if walk else '"blog_post"."id"'
        sql = f"{column} IN (SELECT id FROM matched_{inside})"
        if above is not None:
            sql += f" AND {column} NOT IN (SELECT id FROM matched_{above})"
        return sql, []

    counted, counted_params = [], []
    parts, part_params = [], []
    for index, (tier, inside, above_it) in enumerate(TIERS):
        # Counted from the matches, in the order the index has them (CROSS JOIN keeps
        # SQLite to that order), up to one past the limit: a tier with none costs nothing.
        above = "" if above_it is None else f" AND m.id NOT IN (SELECT id FROM matched_{above_it})"
        counted.append(
            f'(SELECT COUNT(*) FROM (SELECT 1 FROM matched_{inside} AS m CROSS JOIN "blog_post"'
            f' WHERE "blog_post"."id" = m.id AND {published}{above}'
            f" LIMIT {RESULTS_LIMIT + 1}) AS found) AS n{tier}"
        )
        counted_params += published_params
        # The way not taken reads nothing: SQLite checks a LIMIT of 0 before it starts.
        big = f"(SELECT n{tier} FROM counts) > {RESULTS_LIMIT}"
        ways = [
            (False, f"CASE WHEN {big} THEN 0 ELSE {need} END"),
            (True, f"CASE WHEN {big} THEN {need} ELSE 0 END"),
        ] if sqlite else [(False, str(need))]  # fmt: skip
        for walk, limit in ways:
            condition, condition_params = member(index, walk)
            parts.append(
                f'SELECT tier, id, moment FROM (SELECT {tier} AS tier, "blog_post"."id" AS id, '
                f'"blog_post"."published_at" AS moment FROM "blog_post" WHERE {published} AND '
                f"{condition} ORDER BY moment DESC, id DESC LIMIT {limit}) AS t"
            )
            part_params += [*published_params, *condition_params]
    columns = ", ".join(f'"blog_post"."{column}"' for column in CARD_COLUMNS)
    # Each index is asked once: its matches are kept for the statement.
    matched = ", ".join(
        f"matched_{index}(id) AS MATERIALIZED ({select})" for index, select in enumerate(selects)
    )
    sql = (
        f"WITH {matched}, counts AS (SELECT {', '.join(counted)}), "
        f"ranked AS ({' UNION ALL '.join(parts)}) "
        f'SELECT {columns}, "blog_category"."name" AS category_name, '
        f'"blog_category"."slug" AS category_slug, "blog_searchentry"."text" AS entry_text, '
        f"page.tier AS search_tier, "
        f"{', '.join(f'counts.n{tier} AS count_{tier}' for tier, _m, _e in TIERS)} "
        f"FROM counts LEFT JOIN (SELECT tier, id, moment FROM ranked "
        f"ORDER BY tier DESC, moment DESC, id DESC LIMIT {size} OFFSET {start}) AS page ON 1 = 1 "
        f'LEFT JOIN "blog_post" ON "blog_post"."id" = page.id '
        f'LEFT JOIN "blog_category" ON "blog_category"."id" = "blog_post"."category_id" '
        f'LEFT JOIN "blog_searchentry" ON "blog_searchentry"."post_id" = "blog_post"."id" '
        f"ORDER BY page.tier DESC, page.moment DESC, page.id DESC"
    )
    return sql, [*queries, *counted_params, *part_params]


def _scanned(queryset, query, start, size):
    """Without a full-text index: the queryset of blog.search, counted and sliced."""
    from . import lists

    results, _terms = search_posts(queryset, query)
    found = results.order_by()[: RESULTS_LIMIT + 1].count()
    posts = list(
        lists.cards(results, "search_entry__text")[start : min(start + size, RESULTS_LIMIT)]
    )
    for post in posts:
        post.entry_text = getattr(getattr(post, "search_entry", None), "text", "")
    return Results(posts, min(found, RESULTS_LIMIT), found > RESULTS_LIMIT)
