from django.core.management.base import BaseCommand

from blog import publishing
from blog.images.references import storage_names
from blog.images.storing import adopt
from blog.models import Image, Post, media_base_url


def adopt_stored_images():
    """Files the posts name in the media storage that have no Image row (imported before
    images had rows): given one, and renditions, before the posts are rendered with them."""
    base = media_base_url()
    named = set()
    for body in Post.objects.filter(body__contains=base).values_list("body", flat=True).iterator():
        named.update(storage_names(body, base))
    named -= set(Image.objects.filter(file__in=named).values_list("file", flat=True))
    return sum(adopt(name) is not None for name in sorted(named))


class Command(BaseCommand):
    help = "Renders every stored post again, after the Markdown pipeline changed."

    def handle(self, *args, **options):
        def progress(done, total):
            if self.stdout.isatty() or done == total:
                self.stdout.write(f"\rRendered {done}/{total}", ending="")

        adopted = adopt_stored_images()
        if adopted:
            self.stdout.write(f"{adopted} stored image(s) made images of the blog (renditions).")
        posts = Post.objects.select_related("category").prefetch_related("tags")
        # Only posts whose HTML came out different are stored again and announced (caches,
        # search index); no post's edit time moves.
        total, changed, problems = publishing.rerender(posts, progress)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"{total} post(s) rendered, {changed} changed."))
        for slug, warning in problems:
            self.stdout.write(self.style.WARNING(f"{slug}: {warning}"))
