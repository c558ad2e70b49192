"""Front matter as Hexo, Hugo and Jekyll write it, read into what a Post needs."""

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.utils import timezone
from django.utils.text import slugify

# Keys the blog turns into fields; every other key is kept in Post.front_matter.
KNOWN_KEYS = {
    "title", "date", "updated", "lastmod", "categories", "category", "tags", "slug", "draft",
    "published", "description", "summary", "excerpt", "author", "category_slug", "series",
    "series_position",
}  # fmt: skip
# Front-matter keys that name a post for good, whatever its file is called (kept in the
# post's front matter too, so an export carries them back).
IDENTITY_KEYS = ("id", "uuid")
JEKYLL_DATE_PREFIX_RE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}-")
MORE_RE = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)
# Dates a post may carry: beyond them, a time zone's offset takes the moment past what
# Python's datetime holds (year 1 in Shanghai is year 0 in UTC), and an archive of them is
# a typo's, not a blog's.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999
# Front matter is a few lines; more is not worth a YAML parser's time (pure Python, as the
# alias check below needs).
MAX_FRONT_MATTER_BYTES = 64 * 1024
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y-%m-%d",
)


class ImportProblem(ValueError):
    """A file that cannot be imported; the message says why, for the report."""


class _NoAliasLoader(yaml.SafeLoader):
    """safe_load without aliases: `*name` repeats a node, and nine lines of them expand to
    hundreds of millions (the "billion laughs" that ran the worker to 1.6 GB). Front matter
    never needs them, so they are refused rather than counted."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            problem = "aliases (*name) are not accepted; write the value out"
            raise yaml.composer.ComposerError(None, None, problem, event.start_mark)
        return super().compose_node(parent, index)


def load_yaml(source):
    return yaml.load(source, Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader)


@dataclass
class Document:
    """One Markdown file's content, before it meets the database."""

    title: str
    slug: str
    body: str
    published_at: dt.datetime
    updated_at: dt.datetime | None = None
    dated: bool = True  # False: published_at is only the file's time
    identity: str = ""  # the front matter's own id, if it has one
    category: str = ""
    category_slug: str = ""
    extra_categories: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    draft: bool = False
    summary: str = ""
    summary_from_more: bool = False
    author: str = ""
    extras: dict = field(default_factory=dict)
    # Where the post was on its old site (permalink, url, aliases): they lead to it here.
    paths: list = field(default_factory=list)
    series: str = ""  # Hugo's and Hexo's `series` (a name, or a list: the first)
    series_position: int | None = None


def split_front_matter(text, path):
    """(metadata dict, body) for YAML (---) or TOML (+++) front matter; no front matter
    gives an empty dict."""
    text = text.lstrip("\ufeff")
    for fence, parse in (("---", _parse_yaml), ("+++", _parse_toml)):
        if text.startswith(fence + "\n") or text.startswith(fence + "\r\n"):
            lines = text.splitlines(keepends=True)
            for index in range(1, len(lines)):
                if lines[index].rstrip() in (fence, "..." if fence == "---" else fence):
                    if len("".join(lines[1:index]).encode()) > MAX_FRONT_MATTER_BYTES:
                        raise ImportProblem(
                            f"the front matter is longer than {MAX_FRONT_MATTER_BYTES // 1024} KB"
                        )
                    meta = parse("".join(lines[1:index]), path)
                    return meta, "".join(lines[index + 1 :]).lstrip("\r\n")
            raise ImportProblem(f"the front matter opened with {fence} on line 1 is never closed")
    # Hexo also accepts front matter without the opening "---": "title: …" lines up to "---".
    head, separator, rest = text.partition("\n---\n")
    if (
        separator
        and len(head) <= MAX_FRONT_MATTER_BYTES
        and re.match(r"(title|date|tags|categories)\s*:", head)
    ):
        try:
            meta = load_yaml(head)
        except (yaml.YAMLError, ValueError, RecursionError):
            meta = None
        if isinstance(meta, dict):
            return meta, rest
    return {}, text


def _parse_yaml(source, path):
    try:
        meta = load_yaml(source)
    except RecursionError as exc:
        raise ImportProblem("the YAML front matter is nested too deeply") from exc
    except ValueError as exc:  # a value the YAML types refuse: 2024-13-45, a 5000-digit int
        raise ImportProblem(f"the YAML front matter is not valid: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ImportProblem(f"the YAML front matter is not valid{where}: {reason}") from exc
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise ImportProblem("the front matter is not a set of key: value pairs")
    return meta


def _parse_toml(source, path):
    try:
        return tomllib.loads(source)
    except RecursionError as exc:
        raise ImportProblem("the TOML front matter is nested too deeply") from exc
    except ValueError as exc:  # TOMLDecodeError, and values Python refuses
        raise ImportProblem(f"the TOML front matter is not valid: {exc}") from exc


def parse_datetime(value, key):
    """A front-matter date as an aware datetime; naive values are in the site's time zone."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            for fmt in DATE_FORMATS:
                try:
                    moment = dt.datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
            else:
                raise ImportProblem(f"{key}: {value!r} is not a date") from None
    else:
        raise ImportProblem(f"{key}: {value!r} is not a date")
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, timezone.get_current_timezone())
        in_range = EARLIEST_YEAR <= moment.astimezone(dt.UTC).year <= LATEST_YEAR
    except (OverflowError, ValueError):
        in_range = False
    if not in_range:
        raise ImportProblem(
            f"{key}: {value!s} is outside the years {EARLIEST_YEAR} to {LATEST_YEAR}"
        )
    return moment


def _as_list(value, key):
    if value in (None, ""):
        return []
    if isinstance(value, str):
        parts = re.split(r"\s*,\s*", value) if "," in value else value.split()
        return [p for p in (part.strip() for part in parts) if p]
    if isinstance(value, (list, tuple)):
        flat = []
        for item in value:
            # Hexo writes nested categories as lists inside the list.
            flat.extend(_as_list(item, key) if isinstance(item, (list, tuple)) else [item])
        return [str(item).strip() for item in flat if str(item).strip()]
    if isinstance(value, (int, float)):
        return [str(value)]
    raise ImportProblem(f"{key}: expected a name or a list of names, got {value!r}")


def _paths(meta):
    """Hexo's and Jekyll's `permalink`, Hugo's `url` (each one address) and Hugo's `aliases`
    (a list, or one): the addresses the post had. They stay in the front matter too, so an
    export carries them back."""
    found = []
    for key in ("permalink", "url", "aliases"):
        value = meta.get(key)
        values = value if isinstance(value, (list, tuple)) else [value]
        found += [
            str(item).strip()
            for item in values
            if isinstance(item, (str, int)) and str(item).strip()
        ]
    return found


def _position(value):
    """A part number as a front matter gives it (3, "3"), or None."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 100_000 else None


def _unique(names):
    """Tags differ only by case in the blog ("PyTorch" is "pytorch"): the first spelling wins."""
    seen = {}
    for name in names:
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def _truthy(value):
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes", "1", "on"}
    return bool(value)


def _jsonable(value):
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def date_in_file_name(path):
    """Jekyll's and Hexo's 2021-07-07-title.md: the date a file without a `date` key has."""
    match = JEKYLL_DATE_PREFIX_RE.match(path.name)
    if not match:
        return None
    try:
        return parse_datetime(match.group(0).rstrip("-"), "date")
    except ImportProblem:
        return None  # 2021-13-45-…: not a date after all


def slug_for(path, meta):
    if meta.get("slug"):
        return slugify(str(meta["slug"]), allow_unicode=True)
    stem = path.stem
    if stem in ("index", "_index"):  # a Hugo page bundle: the folder names the post
        stem = path.parent.name
    return slugify(JEKYLL_DATE_PREFIX_RE.sub("", stem), allow_unicode=True)


def read_document(path: Path, text: str, fallback_date):
    meta, body = split_front_matter(text, path)
    body = body.rstrip()
    slug = slug_for(path, meta)
    if not slug:
        raise ImportProblem("no slug: neither the front matter nor the file name gives one")
    title = str(meta.get("title") or "").strip()
    if not title:
        # A file without a title in front matter: its first "# heading" is the title (and
        # is taken out of the body, which the page shows under the title anyway).
        heading = re.search(r"^#[ \t]+(.{1,500}?)[ \t]*#*[ \t]*$", body, re.MULTILINE)
        if heading:
            title = heading.group(1).strip()
            body = (body[: heading.start()] + body[heading.end() :]).strip()
        else:
            title = path.stem
    published = parse_datetime(meta.get("date"), "date") or date_in_file_name(path)
    updated = parse_datetime(meta.get("updated") or meta.get("lastmod"), "updated")
    categories = _as_list(meta.get("categories"), "categories") or _as_list(
        meta.get("category"), "category"
    )
    draft = _truthy(meta.get("draft", False)) or (
        "published" in meta and not _truthy(meta["published"])
    )
    # Hexo keeps unpublished posts in source/_drafts.
    draft = draft or "_drafts" in path.parts
    summary = next(
        (str(meta[k]).strip() for k in ("summary", "description", "excerpt") if meta.get(k)), ""
    )
    doc = Document(
        title=title,
        slug=slug,
        body=body,
        published_at=published or fallback_date,
        dated=published is not None,
        identity=next((str(meta[k]).strip() for k in IDENTITY_KEYS if meta.get(k)), ""),
        updated_at=updated,
        category=categories[0] if categories else "",
        category_slug=str(meta.get("category_slug") or ""),
        extra_categories=categories[1:],
        tags=_unique(_as_list(meta.get("tags"), "tags")),
        draft=draft,
        summary=summary,
        author=str(meta.get("author") or "").strip(),
        extras={str(k): _jsonable(v) for k, v in meta.items() if str(k) not in KNOWN_KEYS},
    )
    doc.paths = _paths(meta)
    series = (
        _as_list(meta.get("series"), "series")
        if not isinstance(meta.get("series"), str)
        else [meta["series"].strip()]
    )
    doc.series = series[0][:100] if series else ""
    doc.series_position = _position(meta.get("series_position"))
    if doc.extra_categories:
        doc.extras["categories"] = categories
    if not summary and (more := MORE_RE.search(body)):
        doc.summary = body[: more.start()]
        doc.summary_from_more = True
    return doc
