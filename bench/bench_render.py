"""`make bench`, rendering: one 1 MB article of realistic mixed content (prose, Chinese,
formulas, code, tables, lists, nested quotes) against 1 MB of plain prose, rendered in the
same run (the baseline: Markdown and the sanitizer alone), and hostile 1 MB inputs, each
bounded by BLOG["RENDER_SECONDS"] (issue 10, finding 8). Prints one line of JSON last.

Run alone: `python bench/bench_render.py`.
"""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = 1_000_000
PROSE = (
    "The gradient of the loss with respect to the weights tells us which way to move. "
    "梯度下降是一种一阶优化算法，用于寻找函数的局部最小值。"
)


def mixed_article(size=SIZE):
    """Sections cycling through what the demo articles hold, up to `size` bytes of UTF-8."""
    pieces = [
        lambda i: (
            f"## 第 {i} 节 Section {i}\n\n{PROSE * 3} 其中 $x_{i}^2 + \\alpha$ 与 "
            f"$\\frac{{a}}{{b}}$ 出现。\n\n"
        ),
        lambda i: f"$$\n\\sum_{{k=1}}^{{{i}}} \\frac{{1}}{{k^2}} = \\int_0^1 f(x)\\,dx\n$$\n\n",
        lambda i: (
            "```python\n"
            + "".join(f"def f{j}(x):\n    return x * {j}  # scale\n" for j in range(8))
            + "```\n\n"
        ),
        lambda i: (
            "| a | b | c |\n|:--|:-:|--:|\n"
            + "".join(f"| {j} | $y_{j}$ | 中文{j} |\n" for j in range(6))
            + "\n"
        ),
        lambda i: (
            "".join(
                f"- item {j} with *emphasis*, `code` and [a link](https://example.com/{j})\n"
                for j in range(10)
            )
            + "\n"
        ),
        lambda i: "".join("> " * d + f"quote level {d}\n" for d in range(1, 8)) + "\n",
        lambda i: "".join("    " * d + f"- nested {d}\n" for d in range(6)) + "\n",
        lambda i: f"{PROSE * 4}\n\n",
    ]
    parts, size_so_far, i = [], 0, 0
    while size_so_far < size:
        part = pieces[i % len(pieces)](i)
        parts.append(part)
        size_so_far += len(part.encode())
        i += 1
    return "".join(parts)


def plain_prose(size=SIZE):
    paragraph = (PROSE * 5 + "\n\n").encode()
    return (paragraph * (size // len(paragraph) + 1)).decode()


HOSTILE = {
    "100k [": "[" * 100_000,
    "1 MB of $": "$" * SIZE,
    "1 MB of \\[": "\\[" * (SIZE // 2),
    "1 MB list": "- x\n" * (SIZE // 4),
    "1 MB of ---": "---\n" * (SIZE // 4),
    "1 MB of <a": "<a" * (SIZE // 2),
    "1 MB code block": "```python\n" + "value = compute(1, 2)  # note\n" * (SIZE // 30) + "```",
}


def formula_article(rounds=40):
    """The snapshot formulas (tests/formulas/snapshots.json), each in a sentence or on its
    own lines, `rounds` times over; and the same formulas as (tex, display) pairs."""
    snapshots = json.loads((ROOT / "tests/formulas/snapshots.json").read_text("utf-8"))
    pairs = [(s["tex"], s["display"]) for s in snapshots] * rounds
    body = "".join(
        f"$$\n{tex}\n$$\n\n" if display else f"其中 ${tex}$ 成立。\n\n" for tex, display in pairs
    )
    return body, pairs


def time_formulas():
    """Our pipeline (Markdown, checks, rewrites, one batch per article, classes, sanitizer)
    against math-core alone converting the same formulas one by one: the baseline."""
    from blog.rendering import render_markdown
    from blog.rendering.math import _convert_one
    from blog.rendering.tex import prepare

    body, pairs = formula_article()
    prepared = [(prepare(tex, display).tex, display) for tex, display in pairs]
    start = time.perf_counter()
    for tex, display in prepared:
        _convert_one(tex, display)
    alone = time.perf_counter() - start
    start = time.perf_counter()
    rendered = render_markdown(body)
    pipeline = time.perf_counter() - start
    return len(pairs), alone, pipeline, rendered


def timed(text):
    from blog.rendering import render_markdown

    start = time.perf_counter()
    rendered = render_markdown(text)
    return time.perf_counter() - start, rendered


def main():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings.bench")
    import django

    django.setup()
    from django.conf import settings

    budget = settings.BLOG["RENDER_SECONDS"]
    prose_seconds, _ = timed(plain_prose())
    article = mixed_article()
    article_seconds, rendered = timed(article)
    print(
        f"  1 MB article ({len(article.encode()):,} bytes): {article_seconds:.2f} s; 1 MB of "
        f"plain prose: {prose_seconds:.2f} s -> {article_seconds / prose_seconds:.1f}x the "
        f"baseline; warnings: {len(rendered.warnings)} (budget {budget:g} s, "
        f"plain text past {2 * budget:g} s)",
        flush=True,
    )
    count, alone, pipeline, formulas_rendered = time_formulas()
    print(
        f"  {count:,} formulas: math-core alone {alone * 1000:.0f} ms "
        f"({alone / count * 1e6:.1f} µs each); the whole article around them "
        f"{pipeline * 1000:.0f} ms ({pipeline / count * 1e6:.0f} µs a formula, "
        f"{pipeline / alone:.0f}x); warnings: {len(formulas_rendered.warnings)}",
        flush=True,
    )
    hostile = {}
    for name, text in HOSTILE.items():
        seconds, rendered = timed(text)
        hostile[name] = round(seconds, 2)
        limit = next((w for w in rendered.warnings if "took longer" in w), "")
        outcome = "plain text" if "plain text" in limit else "degraded" if limit else "rendered"
        print(f"  {name:<16} {seconds:6.2f} s  {outcome}", flush=True)
    print(
        json.dumps(
            {
                "article_seconds": round(article_seconds, 3),
                "prose_seconds": round(prose_seconds, 3),
                "ratio": round(article_seconds / prose_seconds, 2),
                "budget_seconds": budget,
                "formulas": count,
                "formulas_mathcore_seconds": round(alone, 4),
                "formulas_article_seconds": round(pipeline, 3),
                "hostile_seconds": hostile,
            }
        )
    )


if __name__ == "__main__":
    main()
