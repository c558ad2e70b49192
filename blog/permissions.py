"""Who may do what to a post: the one home of the rule, asked by the admin (form, list
actions, deletes, previews) and by the importer.

Two roles come out of Django's model permissions:

- an *author* may add posts and change their own drafts;
- an *editor* holds `blog.publish_post` (besides `blog.change_post`): they publish,
  unpublish and reschedule, change any post, live or not, and name any user as its author.

A live post is one readers see or will see without another decision: published now or
scheduled. Changing its text, its time or its status, or deleting it, is a publishing
decision, so it is the editor's.
"""

PUBLISH = "blog.publish_post"
CHANGE = "blog.change_post"
ADD = "blog.add_post"
DELETE = "blog.delete_post"
ADD_CATEGORY = "blog.add_category"


def may_publish(user):
    """Publish, unpublish, schedule or move the publication time of posts."""
    return user.has_perm(CHANGE) and user.has_perm(PUBLISH)


def may_change_others(user):
    """Change posts other users wrote, and name another user as a post's author."""
    return may_publish(user)


def is_live(post):
    from .models import Post

    return post.pk is not None and post.status == Post.Status.PUBLISHED


def _owns(user, post):
    return post.author_id is not None and post.author_id == user.pk


def may_change(user, post):
    """Change this post (its text, category, tags). `post` as it is stored now."""
    if post is None or post.pk is None:
        return user.has_perm(ADD)
    if not user.has_perm(CHANGE):
        return False
    if may_change_others(user):
        return True
    return not is_live(post) and _owns(user, post)


def may_delete(user, post):
    if not user.has_perm(DELETE):
        return False
    if post is None:
        return True
    return may_publish(user) or (not is_live(post) and _owns(user, post))


def may_preview(user, post):
    """See a draft or scheduled post as readers will: whoever may change it (so an author
    previews their drafts, and a scheduled post is the editors')."""
    return user.has_perm(CHANGE) and may_change(user, post)


def may_add_category(user):
    return user.has_perm(ADD_CATEGORY)
