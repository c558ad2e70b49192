"""What the admin's post form sends, for tests that post it."""


def post_form(post=None, category=None, **changes):
    """The fields of the post change form: those of `post` (a change) or of a new post in
    `category` (an add), with `changes` on top. The hidden copy of the publication time is
    the time sent, as when the author leaves it alone; the version is the post's now."""
    data = {
        "title": post.title if post else "新文章",
        "slug": post.slug if post else "new-post",
        "category": (post.category_id if post else category.pk),
        "tags": "",
        "body": post.body if post else "正文。",
        "summary": "",
        "status": "published",
        "published_at_0": "2026-03-01",
        "published_at_1": "10:00:00",
        "initial-published_at_0": "2026-03-01",
        "initial-published_at_1": "10:00:00",
        "author": "",
    }
    if post is not None:  # the form as opened now: on the post's current version
        from blog.models import Post

        data["opened_version"] = Post.objects.values_list("version", flat=True).get(pk=post.pk)
    data.update(changes)
    return data
