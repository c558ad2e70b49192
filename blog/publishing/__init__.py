"""The write path: every change to posts, categories and tags goes through these functions
(the admin, the importer, the commands). Each runs in a transaction and records what it
changed (blog.changes); when the outermost transaction commits, one `content_changed` signal
announces all of it, once per post, to the search index and any cache.

The rules that used to be repeated by each caller live here once:

- "Publish" without a time the author chose means now; a future time is kept (scheduling); a
  past time is used only when the author set it on purpose (`time_chosen`).
- `updated_at` is the author's edit time: it moves when the post's own content changes, never
  for publishing, re-rendering or a renamed category, and never backwards (an import may say
  when the file was last edited, but not undo a later edit made here).
- A renamed category or tag changes its posts' pages, not the posts: no post row and no
  search entry is written (entries carry labels by id).
"""

from .drafts import apply_series, discard_draft, save_draft, with_draft
from .labels import (
    delete_categories,
    delete_category_into,
    delete_series,
    delete_tags,
    ensure_category,
    ensure_series,
    merge_tags,
    save_category,
    save_series,
    save_tag,
)
from .posts import (
    bulk_create_posts,
    create_post,
    delete_posts,
    empty_trash,
    publish,
    rerender,
    restore_posts,
    restore_revision,
    save_post,
    stored_body,
    trash_posts,
    unpublish,
)

__all__ = [
    "apply_series",
    "bulk_create_posts",
    "create_post",
    "delete_categories",
    "delete_category_into",
    "delete_posts",
    "delete_series",
    "delete_tags",
    "discard_draft",
    "empty_trash",
    "ensure_category",
    "ensure_series",
    "merge_tags",
    "publish",
    "rerender",
    "restore_posts",
    "restore_revision",
    "save_category",
    "save_draft",
    "save_series",
    "save_post",
    "save_tag",
    "stored_body",
    "trash_posts",
    "unpublish",
    "with_draft",
]
