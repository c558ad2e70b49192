from django.core.management.base import BaseCommand

from blog.exporting import export_all


class Command(BaseCommand):
    help = "Writes every post (drafts included, marked draft: true) as Markdown into DIR."

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR")

    def handle(self, *args, directory, **options):
        written = export_all(directory)
        self.stdout.write(self.style.SUCCESS(f"{len(written)} post(s) written to {directory}"))
