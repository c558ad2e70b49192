from django.core.management.base import BaseCommand

from blog import publishing
from blog.models import Post


class Command(BaseCommand):
    help = "Renders every stored post again, after the Markdown pipeline changed."

    def handle(self, *args, **options):
        def progress(done, total):
            if self.stdout.isatty() or done == total:
                self.stdout.write(f"\rRendered {done}/{total}", ending="")

        posts = Post.objects.select_related("category").prefetch_related("tags")
        # Only posts whose HTML came out different are stored again and announced (caches,
        # search index); no post's edit time moves.
        total, changed, problems = publishing.rerender(posts, progress)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"{total} post(s) rendered, {changed} changed."))
        for slug, warning in problems:
            self.stdout.write(self.style.WARNING(f"{slug}: {warning}"))
