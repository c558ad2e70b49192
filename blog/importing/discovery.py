"""Which files an import takes, where each one's source path starts, and the folder its
images may come from."""

from pathlib import Path

MARKDOWN_SUFFIXES = {".md", ".markdown"}
# Where each generator keeps its posts, tried in order when PATH is a whole site's folder.
SITE_LAYOUTS = (
    ("source/_posts", "source/_drafts"),  # Hexo
    ("_posts", "_drafts"),  # Jekyll
    ("content",),  # Hugo
)
POST_FOLDERS = ("_posts", "_drafts", "content")
HOME_LEVELS = 5
SKIPPED_FOLDERS = {
    "node_modules", "themes", "public", "vendor", "resources", ".git", "_site", "__MACOSX",
}  # fmt: skip
SKIPPED_NAMES = {"readme", "changelog", "license", "contributing", "_index"}


def _markdown_under(folder):
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if (
            path.is_file()
            and path.suffix.lower() in MARKDOWN_SUFFIXES
            and path.stem.lower() not in SKIPPED_NAMES
            and not any(p.startswith(".") or p in SKIPPED_FOLDERS for p in parts[:-1])
            # macOS's zip keeps each file's metadata beside it as ._name (in __MACOSX/).
            and not path.name.startswith("._")
        ):
            yield path


def layout_root(path):
    """The folder a single file's source path is taken from: the nearest _posts, _drafts
    or content folder above it, as when its whole site is imported, else its own folder."""
    for folder in path.parents:
        if folder.name in POST_FOLDERS:
            return folder
    return path.parent


def site_home(path, fallback, within=None):
    """The folder a post's images may come from (issue 10, finding 6): the site above the
    _posts, _drafts or content folder a file or folder is in (above source/ for Hexo), so
    /images/x.png finds the site's static/, source/ or assets/; else `fallback`, the folder
    imported. Looked for a few levels up only (a Hugo bundle sits in a section of content/),
    never outside `within` (an upload's own folder)."""
    for folder in [path, *path.parents][:HOME_LEVELS]:
        if within is not None and not folder.is_relative_to(within):
            break
        if folder.name in POST_FOLDERS:
            site = folder.parent
            if site.name == "source" and folder.name != "content":
                site = site.parent
            if within is not None and not site.is_relative_to(within):
                return within
            return site
    return fallback


def discover(paths, within=None):
    """Markdown files under the given files and folders, in a stable order, each with the
    folder its source path starts at and the folder its images may come from. A whole Hexo,
    Jekyll or Hugo site is narrowed to its posts, so themes' READMEs and pages stay out."""
    found, missing = [], []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            home = site_home(path, path.parent, within)
            found.append((path, layout_root(path), home))
        elif path.is_dir():
            layout = next(
                (folders for folders in SITE_LAYOUTS if (path / folders[0]).is_dir()), None
            )
            roots = [path / f for f in layout if (path / f).is_dir()] if layout else [path]
            home = path if layout else site_home(path, path, within)
            found.extend((file, root, home) for root in roots for file in _markdown_under(root))
        else:
            missing.append(raw)
    return found, missing
