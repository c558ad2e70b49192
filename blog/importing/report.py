"""What an import says of each file, and the summary line under it."""

from dataclasses import dataclass, field

OUTCOMES = ("created", "updated", "unchanged", "skipped", "failed")


@dataclass
class FileResult:
    path: str
    outcome: str
    slug: str = ""
    reason: str = ""
    notes: list = field(default_factory=list)


@dataclass
class Report:
    results: list = field(default_factory=list)
    dry_run: bool = False

    def count(self, outcome):
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def failed(self):
        return self.count("failed")

    def summary(self):
        shown = [o for o in OUTCOMES if o != "skipped" or self.count(o)]
        counts = ", ".join(f"{self.count(o)} {o}" for o in shown)
        return f"{'Dry run, nothing written: ' if self.dry_run else ''}{counts}."
