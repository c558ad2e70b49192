from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from blog.rendering.code import END_MARK, START_MARK, stylesheet


class Command(BaseCommand):
    help = "Writes the code-highlighting rules into static/css/site.css (one stylesheet)."

    def handle(self, *args, **options):
        path = Path(settings.BASE_DIR) / "static" / "css" / "site.css"
        css = path.read_text(encoding="utf-8")
        if START_MARK not in css or END_MARK not in css:
            raise CommandError(f"{path}: the markers {START_MARK} and {END_MARK} are missing")
        head, rest = css.split(START_MARK, 1)
        _, tail = rest.split(END_MARK, 1)
        path.write_text(f"{head}{START_MARK}\n{stylesheet()}\n{END_MARK}{tail}", encoding="utf-8")
        self.stdout.write(f"Updated {path}")
