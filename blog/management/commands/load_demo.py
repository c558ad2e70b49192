import secrets
from datetime import timedelta
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from blog import publishing
from blog.models import Category, Post

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo" / "posts"
CATEGORIES = {
    "深度学习": ("deep-learning", "神经网络的基本构件：卷积、感受野、归一化与数值细节。"),
    "计算机视觉": ("computer-vision", "分割、检测与视觉大模型的读后笔记。"),
    "PyTorch": ("pytorch", "PyTorch 的机制与用法：自动求导、模块、混合精度。"),
    "Python": ("python", "写 Python 时绕不开的语言细节与并发模型。"),
    "分布式训练": ("distributed-training", "多卡多机训练：DDP、集合通信与 NCCL。"),
}
SCHEDULE_AHEAD = timedelta(days=30)
DEMO_AUTHOR = "editor"


def read_demo_file(path):
    """Splits a demo file into its YAML front matter and Markdown body."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise CommandError(f"{path}:1: front matter must start with a line '---'")
    end = text.find("\n---\n", 4)
    if end == -1:
        raise CommandError(f"{path}: front matter has no closing '---' line")
    try:
        meta = yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 2
        raise CommandError(f"{path}:{line}: front matter is not valid YAML: {exc}") from exc
    return meta, text[end + 5 :].lstrip("\n")


class Command(BaseCommand):
    help = "Fills the database with the demo articles. Existing posts are never changed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds any post (used by `make run`).",
        )

    def handle(self, *args, if_empty=False, **options):
        if if_empty and Post.objects.exists():
            self.stdout.write("Posts exist already; demo content not loaded.")
            return
        with transaction.atomic():
            author = self.demo_author()
            created = self.load_posts(author)
        self.stdout.write(
            self.style.SUCCESS(f"Demo content: {created} post(s) created.")
            if created
            else "Demo content already present; nothing changed."
        )

    def demo_author(self):
        """On an empty development database, an editor account with a one-time password."""
        User = get_user_model()
        if User.objects.exists():
            return User.objects.filter(username=DEMO_AUTHOR).first()
        if not settings.BLOG_DEVELOPMENT:
            self.stdout.write(
                "No user exists. Create an author with `python manage.py createsuperuser`."
            )
            return None
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(DEMO_AUTHOR, email="", password=password)
        user.first_name = "Demo Editor"
        user.save(update_fields=["first_name"])
        self.stdout.write(
            self.style.WARNING(
                f"\nAdmin login for {reverse('admin:index')} (shown only this once):\n"
                f"  user: {DEMO_AUTHOR}\n  password: {password}\n"
                "  Lost it? DJANGO_DEBUG=1 .venv/bin/python manage.py "
                f"changepassword {DEMO_AUTHOR}\n"
            )
        )
        return user

    def load_posts(self, author):
        categories = {}
        created = 0
        now = timezone.now()
        for path in sorted(DEMO_DIR.glob("*.md")):
            meta, body = read_demo_file(path)
            if Post.objects.filter(slug=meta["slug"]).exists():
                continue
            name = meta["category"]
            if name not in categories:
                slug, description = CATEGORIES.get(name, ("", ""))
                categories[name] = Category.objects.filter(name=name).first()
                if categories[name] is None:
                    categories[name] = publishing.save_category(
                        Category(name=name, slug=slug, description=description)
                    )
            published_at = meta["published"]
            status = meta.get("status", "published")
            if status == "scheduled":
                published_at = max(published_at, now + SCHEDULE_AHEAD)
                status = Post.Status.PUBLISHED
            publishing.create_post(
                title=meta["title"],
                slug=meta["slug"],
                category=categories[name],
                author=author,
                body=body,
                summary=meta.get("summary") or "",
                status=status,
                published_at=published_at,
                tags=meta.get("tags") or [],
                # Written when it was published (the scheduled one: written already).
                edited_at=min(meta.get("updated") or published_at, now),
            )
            created += 1
        return created
