from django.core.management.base import BaseCommand
from django.utils import timezone

from blog.models import Post
from blog.search_index import update_entry


class Command(BaseCommand):
    help = "Renders every stored post again, after the Markdown pipeline changed."

    RENDERED = ("body_html", "excerpt", "reading_minutes", "toc_html", "render_warnings")

    def stored(self, post):
        return tuple(getattr(post, name) for name in self.RENDERED)

    def handle(self, *args, **options):
        total = Post.objects.count()
        changed = 0
        problems = []
        posts = Post.objects.select_related("category").prefetch_related("tags").order_by("pk")
        for done, post in enumerate(posts.iterator(chunk_size=200), 1):
            before = self.stored(post)
            post.render()
            problems += [(post.slug, warning) for warning in post.render_warnings]
            if self.stored(post) != before:
                # updated_at moves only when what readers get changed, so feeds and caches
                # that key on it see the new version and nothing else looks edited.
                Post.objects.filter(pk=post.pk).update(
                    **dict(zip(self.RENDERED, self.stored(post), strict=True)),
                    updated_at=timezone.now(),
                )
                update_entry(post)  # the search index reads the rendered text too
                changed += 1
            if self.stdout.isatty() or done == total:
                self.stdout.write(f"\rRendered {done}/{total}", ending="")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"{total} post(s) rendered, {changed} changed."))
        for slug, warning in problems:
            self.stdout.write(self.style.WARNING(f"{slug}: {warning}"))
