"""Generator-specific syntax (Hexo and Jekyll tags, Hugo shortcodes) turned into Markdown
that renders."""

import re
import shlex
from bisect import bisect_right

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
# Arguments are bounded, and end at the next opening: an opening without its closing on a
# long line would otherwise be searched to the line's end from every opening.
LIQUID_TAG_RE = re.compile(r"\{%-?\s*(?P<name>\w+)(?P<args>(?:(?!\{%).){0,500}?)-?%\}")
HUGO_SHORTCODE_RE = re.compile(
    r"\{\{[<%]\s*(?P<name>/?[\w.-]+)(?P<args>(?:(?!\{\{).){0,500}?)\s*[>%]\}\}"
)
TAG_NAME_RE = re.compile(r"\{%-?\s*(\w+)")


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
        # Names of every Liquid tag, and where each block tag ends, found once: asked per
        # tag, each question would read the whole body again.
        self.tag_names = set(TAG_NAME_RE.findall(body))
        self.block_ends = {}
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
                end = self._end_of(tag, i, lines)
                if end is not None:
                    out.extend(self._block(tag, args, lines[i + 1 : end]))
                    i = end + 1
                    continue
                self.notes.append(f"line {i + 1}: {{% {tag} %}} is never closed; kept as text")
            out.append(self._inline(line, i + 1))
            i += 1
        return "\n".join(out)

    def _end_of(self, tag, start, lines):
        """The line of the first closing of `tag` after line `start`, or None."""
        if tag not in self.block_ends:
            self.block_ends[tag] = [j for j, line in enumerate(lines) if BLOCK_END[tag].match(line)]
        ends = self.block_ends[tag]
        at = bisect_right(ends, start)
        return ends[at] if at < len(ends) else None

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
        if name.startswith("end") and name[3:] in self.tag_names:
            return ""  # the closing half of a paired theme tag, see below
        if "end" + name in self.tag_names:
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
