"""Generator-specific syntax (Hexo and Jekyll tags, Hugo shortcodes) turned into Markdown
that renders, and images next to the post copied into the media storage."""

import hashlib
import re
import shlex
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .imagesize import image_size

FENCE_RE = re.compile(r"^\s*(`{3,}|~{3,})")
# Block tags: {% codeblock … %} … {% endcodeblock %}, Jekyll's {% highlight lang %} … and
# Hugo's {{< highlight lang "opts" >}} … {{< /highlight >}}.
BLOCK_START_RE = re.compile(
    r"^\s*(?:\{%-?\s*(?P<liquid>codeblock|highlight|blockquote|raw)\b(?P<largs>[^%]*?)-?%\}"
    r"|\{\{[<%]\s*(?P<hugo>highlight)\b(?P<hargs>.*?)[>%]\}\})\s*$"
)
BLOCK_END = {
    "codeblock": re.compile(r"^\s*\{%-?\s*endcodeblock\s*-?%\}\s*$"),
    "highlight": re.compile(
        r"^\s*(\{%-?\s*endhighlight\s*-?%\}|\{\{[<%]\s*/highlight\s*[>%]\}\})\s*$"
    ),
    "blockquote": re.compile(r"^\s*\{%-?\s*endblockquote\s*-?%\}\s*$"),
    "raw": re.compile(r"^\s*\{%-?\s*endraw\s*-?%\}\s*$"),
}
LIQUID_TAG_RE = re.compile(r"\{%-?\s*(?P<name>\w+)(?P<args>.*?)-?%\}")
HUGO_SHORTCODE_RE = re.compile(r"\{\{[<%]\s*(?P<name>/?[\w.-]+)(?P<args>.*?)\s*[>%]\}\}")
IMAGE_RE = re.compile(r'(!\[[^\]]*\]\()(<[^>]+>|[^)\s]+)((?:\s+"[^"]*")?\))')
HTML_IMG_RE = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]+)(")', re.IGNORECASE)
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp"}


def _args(text):
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _hugo_params(text):
    """`src="a.png" alt="x"` or positional arguments, as a dict and a list."""
    named = dict(re.findall(r'(\w+)\s*=\s*"([^"]*)"', text))
    named.update(re.findall(r"(\w+)\s*=\s*'([^']*)'", text))
    rest = re.sub(r"""\w+\s*=\s*("[^"]*"|'[^']*')""", "", text)
    return named, _args(rest)


def _code_language(tag, args):
    words = _args(args)
    if tag == "codeblock":
        for word in words:
            if word.startswith("lang:"):
                return word[5:]
        return ""
    return words[0] if words else ""


class SyntaxConverter:
    """Converts one post's Markdown; `notes` collects what the author should know."""

    def __init__(self, resolve=None):
        self.notes = []
        # name of another post's file -> its Target (final slug and title), or None
        self.resolve = resolve or (lambda name: None)

    def _reference(self, reference, number):
        """The address of the post another file names (a Jekyll post_url, a Hugo ref)."""
        name, _hash, anchor = reference.partition("#")
        target = self.resolve(name) if name else None
        if target is None:
            if name:
                self.notes.append(f"line {number}: no single post {name!r} to link to; kept")
            return reference
        return f"/posts/{target.slug}/" + (f"#{anchor}" if anchor else "")

    def convert(self, body):
        self.body = body
        out, lines, i = [], body.split("\n"), 0
        fence = None
        while i < len(lines):
            line = lines[i]
            fence_match = FENCE_RE.match(line)
            if fence is not None:
                out.append(line)
                if (
                    fence_match
                    and fence_match.group(1)[0] == fence[0]
                    and len(fence_match.group(1)) >= len(fence)
                    and not line.strip().strip(fence[0])
                ):
                    fence = None
                i += 1
                continue
            if fence_match:
                fence = fence_match.group(1)
                out.append(line)
                i += 1
                continue
            block = BLOCK_START_RE.match(line)
            if block:
                tag = block.group("liquid") or block.group("hugo")
                args = block.group("largs") or block.group("hargs") or ""
                end = next(
                    (j for j in range(i + 1, len(lines)) if BLOCK_END[tag].match(lines[j])), None
                )
                if end is not None:
                    out.extend(self._block(tag, args, lines[i + 1 : end]))
                    i = end + 1
                    continue
                self.notes.append(f"line {i + 1}: {{% {tag} %}} is never closed; kept as text")
            out.append(self._inline(line, i + 1))
            i += 1
        return "\n".join(out)

    def _block(self, tag, args, content):
        if tag == "raw":
            return content
        if tag == "blockquote":
            author = args.strip()
            quoted = [f"> {line}" if line.strip() else ">" for line in content]
            return quoted + ([">", f"> — {author}"] if author else [])
        language = _code_language(tag, args)
        longest = max((len(m) for line in content for m in re.findall(r"`{3,}", line)), default=2)
        ticks = "`" * max(3, longest + 1)
        return [f"{ticks}{language}", *content, ticks]

    def _inline(self, line, number):
        line = LIQUID_TAG_RE.sub(lambda m: self._liquid(m, number), line)
        return HUGO_SHORTCODE_RE.sub(lambda m: self._hugo(m, number), line)

    def _liquid(self, match, number):
        name, args = match.group("name"), _args(match.group("args"))
        if name in ("asset_img", "img") and args:
            source = (
                args[0]
                if name == "asset_img"
                else next((a for a in args if "/" in a or "." in a), args[0])
            )
            alt = " ".join(a for a in args[1:] if not a.isdigit() and a != source)
            return f"![{alt.strip()}]({source})"
        if name == "asset_path" and args:
            return args[0]
        if name == "asset_link" and args:
            return f"[{' '.join(args[1:]) or args[0]}]({args[0]})"
        if name in ("raw", "endraw"):
            return ""
        if name.startswith("end") and re.search(r"\{%-?\s*" + name[3:] + r"\b", self.body):
            return ""  # the closing half of a paired theme tag, see below
        if re.search(r"\{%-?\s*end" + re.escape(name) + r"\s*-?%\}", self.body):
            # A theme's paired tag ({% note info %} … {% endnote %}): its content is prose.
            self.notes.append(f"line {number}: tag {{% {name} %}} removed, its content kept")
            return ""
        if name in ("post_url", "link", "post_path") and args:
            return self._reference(args[0], number)
        if name == "post_link" and args:
            # Hexo: {% post_link name [title] %}, a link with the target's title.
            target = self.resolve(args[0])
            if target is None:
                self.notes.append(f"line {number}: no single post {args[0]!r} to link to; kept")
                return match.group(0)
            title = " ".join(a for a in args[1:] if a not in ("true", "false")) or target.title
            return f"[{title}](/posts/{target.slug}/)"
        self.notes.append(f"line {number}: tag {{% {name} %}} has no equivalent; kept as text")
        return match.group(0)

    def _hugo(self, match, number):
        name, (named, positional) = match.group("name"), _hugo_params(match.group("args"))
        if name == "figure":
            source = named.get("src", "")
            alt = named.get("alt") or named.get("title") or named.get("caption") or ""
            caption = named.get("caption") or named.get("title") or ""
            image = f"![{alt}]({source})" if source else ""
            return f"{image}\n\n*{caption}*" if caption and caption != alt else image
        if name in ("ref", "relref") and positional:
            return self._reference(positional[0], number)
        if name == "youtube" and (named.get("id") or positional):
            video = named.get("id") or positional[0]
            return f"[YouTube: {video}](https://www.youtube.com/watch?v={video})"
        if name == "gist" and len(positional) >= 2:
            user, gist = positional[:2]
            return f"[Gist {gist}](https://gist.github.com/{user}/{gist})"
        self.notes.append(f"line {number}: shortcode {{{{< {name} >}}}} has no equivalent; kept")
        return match.group(0)


class ImageCopier:
    """Finds the images a post references relative to itself, names each one under
    posts/<slug>/ in the media storage and points the references at those names; a missing
    file is a note, not a failure. Nothing is written here: `pending` lists the files to
    store, which the importer writes with the post's row and removes if that fails.

    A name is the file's own name, unless the post already has a different file of that
    name (two folders' "img.png"): then the name carries a digest of the bytes. The same
    bytes always get the same name, so a second import neither copies nor renames."""

    def __init__(self, storage, post_path: Path, slug: str, dry_run: bool = False):
        self.storage, self.post_path, self.slug, self.dry_run = storage, post_path, slug, dry_run
        self.notes = []
        self.pending = {}  # name -> bytes to store

    def rewrite(self, body):
        self.sizes = {}
        body = IMAGE_RE.sub(lambda m: self._replace(m, markdown=True), body)
        return HTML_IMG_RE.sub(lambda m: self._replace(m, markdown=False), body)

    def _replace(self, match, markdown):
        reference = match.group(2)
        bare = reference[1:-1] if markdown and reference.startswith("<") else reference
        url = self._store(bare)
        if url is None:
            return match.group(0)
        size = self.sizes.get(url)
        already_sized = match.string.startswith("{", match.end())
        if markdown and size and not already_sized:
            return f"{match.group(1)}{url}{match.group(3)}{{ width={size[0]} height={size[1]} }}"
        return f"{match.group(1)}{url}{match.group(3)}"

    def _candidates(self, reference):
        path = unquote(urlsplit(reference).path)
        folder = self.post_path.parent
        if path.startswith("/"):
            # Hugo's static/ and Hexo's source/ hold what the site serves from its root.
            relative = path.lstrip("/")
            for ancestor in [folder, *folder.parents]:
                for root in ("static", "source", "assets", ""):
                    yield ancestor / root / relative if root else ancestor / relative
            return
        yield folder / path
        yield folder / self.post_path.stem / path  # Hexo's post asset folder
        if self.post_path.stem in ("index", "_index"):
            yield folder / Path(path).name

    def _holds(self, name, digest):
        """Whether `name` is free (None), holds these bytes (True) or others (False)."""
        if name in self.pending:
            return hashlib.sha256(self.pending[name]).digest() == digest
        if not self.storage.exists(name):
            return None
        with self.storage.open(name, "rb") as stored:
            return hashlib.sha256(stored.read()).digest() == digest

    def _store(self, reference):
        parts = urlsplit(reference)
        if parts.scheme or parts.netloc or reference.startswith(("#", "data:")):
            return None
        if reference.startswith(("/media/", "/static/")):
            return None  # already one of ours (a re-import of an export)
        source = next((c for c in self._candidates(reference) if c.is_file()), None)
        if source is None:
            self.notes.append(f"image not found, reference kept: {reference}")
            return None
        if source.suffix.lower() not in IMAGE_SUFFIXES:
            self.notes.append(f"not an image, reference kept: {reference}")
            return None
        data = source.read_bytes()
        digest = hashlib.sha256(data).digest()
        size = image_size(data)
        name = f"posts/{self.slug}/{source.name}"
        holds = self._holds(name, digest)
        if holds is False:
            name = f"posts/{self.slug}/{source.stem}-{digest.hex()[:10]}{source.suffix}"
            holds = self._holds(name, digest)
        if holds is None:
            self.pending[name] = data
        return self._sized(self.storage.url(name), size)

    def _sized(self, url, size):
        if size and all(0 < n < 100_000 for n in size):
            self.sizes[url] = size
        return url
