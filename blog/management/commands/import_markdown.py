import sys

from django.core.management.base import BaseCommand, CommandError

from blog.importing import Importer


class Command(BaseCommand):
    help = (
        "Imports Markdown files with front matter (Hexo, Hugo, Jekyll). PATH is a file or a "
        "folder, searched recursively. Importing again updates; it never duplicates."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )
        parser.add_argument(
            "--all-or-nothing",
            action="store_true",
            help="If any file cannot be imported, import none of them.",
        )

    def handle(self, *args, paths, dry_run=False, all_or_nothing=False, **options):
        interactive = self.stdout.isatty()

        def progress(done, total, path):
            width = 30
            filled = width * done // total
            bar = "#" * filled + "-" * (width - filled)
            self.stdout.write(f"\r[{bar}] {done}/{total} {path.name[:40]:<40}", ending="")
            if done == total:
                self.stdout.write("")

        importer = Importer(dry_run=dry_run, all_or_nothing=all_or_nothing)
        report = importer.run(paths, progress if interactive else None)
        write_report(self, report)
        if report.failed:
            raise CommandError(f"{report.failed} file(s) could not be imported (see above).")


def write_report(command, report):
    style = command.style
    for result in report.results:
        if result.outcome in ("failed", "skipped"):
            line = f"{result.outcome:<10} {result.path}: {result.reason}"
            command.stdout.write(style.ERROR(line) if result.outcome == "failed" else line)
            continue
        line = f"{result.outcome:<10} {result.path} -> /posts/{result.slug}/"
        command.stdout.write(style.SUCCESS(line) if result.outcome != "unchanged" else line)
        for note in result.notes:
            command.stdout.write(style.WARNING(f"           note: {note}"))
    command.stdout.write(report.summary())
    sys.stdout.flush()
