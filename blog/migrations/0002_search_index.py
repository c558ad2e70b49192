"""The database's own full-text index over blog_searchentry (see blog.search): an FTS5 table
with triggers on SQLite, generated tsvector columns with GIN indexes on PostgreSQL. Other
databases get none; blog.search then scans."""

from django.db import OperationalError, migrations

SQLITE_INDEX = [
    # External-content FTS5 table over blog_searchentry, kept in step by triggers. The token
    # text is already split (CJK bigrams, lowercased words), so unicode61 only cuts at spaces.
    "CREATE VIRTUAL TABLE blog_search_fts USING fts5(title, tags, body, "
    "content='blog_searchentry', content_rowid='post_id', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER blog_search_ai AFTER INSERT ON blog_searchentry BEGIN "
    "INSERT INTO blog_search_fts(rowid, title, tags, body) "
    "VALUES (new.post_id, new.title, new.tags, new.body); END",
    "CREATE TRIGGER blog_search_ad AFTER DELETE ON blog_searchentry BEGIN "
    "INSERT INTO blog_search_fts(blog_search_fts, rowid, title, tags, body) "
    "VALUES ('delete', old.post_id, old.title, old.tags, old.body); END",
    "CREATE TRIGGER blog_search_au AFTER UPDATE ON blog_searchentry BEGIN "
    "INSERT INTO blog_search_fts(blog_search_fts, rowid, title, tags, body) "
    "VALUES ('delete', old.post_id, old.title, old.tags, old.body); "
    "INSERT INTO blog_search_fts(rowid, title, tags, body) "
    "VALUES (new.post_id, new.title, new.tags, new.body); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS blog_search_ai",
    "DROP TRIGGER IF EXISTS blog_search_ad",
    "DROP TRIGGER IF EXISTS blog_search_au",
    "DROP TABLE IF EXISTS blog_search_fts",
]
POSTGRES_INDEX = [
    # The whole document for matching, and small vectors of the title and of title + tags
    # for ranking: checking a match there does not read the body's large vector again.
    "ALTER TABLE blog_searchentry ADD COLUMN vector tsvector GENERATED ALWAYS AS ("
    "to_tsvector('simple', title || ' ' || tags || ' ' || body)) STORED",
    "ALTER TABLE blog_searchentry ADD COLUMN title_vector tsvector GENERATED ALWAYS AS ("
    "to_tsvector('simple', title)) STORED",
    "ALTER TABLE blog_searchentry ADD COLUMN head_vector tsvector GENERATED ALWAYS AS ("
    "to_tsvector('simple', title || ' ' || tags)) STORED",
    # fastupdate off: a post goes straight into the index instead of a pending list that
    # every search would have to read until autovacuum merges it (blogs write rarely).
    "CREATE INDEX blog_searchentry_vector ON blog_searchentry USING gin (vector) "
    "WITH (fastupdate = off)",
    "CREATE INDEX blog_searchentry_title_vector ON blog_searchentry USING gin (title_vector) "
    "WITH (fastupdate = off)",
    "CREATE INDEX blog_searchentry_head_vector ON blog_searchentry USING gin (head_vector) "
    "WITH (fastupdate = off)",
]
POSTGRES_DROP = [
    "ALTER TABLE blog_searchentry DROP COLUMN IF EXISTS vector",
    "ALTER TABLE blog_searchentry DROP COLUMN IF EXISTS title_vector",
    "ALTER TABLE blog_searchentry DROP COLUMN IF EXISTS head_vector",
]


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in POSTGRES_INDEX:
            schema_editor.execute(statement)
    elif vendor == "sqlite":
        try:
            schema_editor.execute(SQLITE_INDEX[0])
        except OperationalError:
            return  # SQLite without FTS5: blog.search falls back to a scan
        for statement in SQLITE_INDEX[1:]:
            schema_editor.execute(statement)


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
