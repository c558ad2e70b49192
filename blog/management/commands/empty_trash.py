from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from blog import publishing


class Command(BaseCommand):
    help = (
        "Deletes for good the posts that have been in the trash for more than BLOG_TRASH_DAYS "
        "days (30 unless configured); run it once a day."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Days in the trash after which a post goes (default: BLOG_TRASH_DAYS).",
        )

    def handle(self, *args, days=None, **options):
        days = settings.BLOG["TRASH_DAYS"] if days is None else days
        if days < 0:
            raise CommandError("--days is a number of days, 0 or more.")
        deleted = publishing.empty_trash(days)
        self.stdout.write(f"{deleted} post(s) deleted from the trash (older than {days} days).")
