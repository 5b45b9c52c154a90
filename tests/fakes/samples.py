"""Post-mortems from the sample corpus (`samples/<org>/...`) as pages for the fake servers:
a title, properties (from YAML front matter where the file has it) and a markdown body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

from pipeline.ingest.extractors.base import looks_like_postmortem
from tests.paths import SAMPLES



@dataclass
class SamplePage:
    path: str  # relative to samples/
    title: str
    body: str  # markdown without the front matter and the title heading
    props: dict = field(default_factory=dict)  # date, services, severity, category


def markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough")


def sample_pages(org: str | None = None, limit: int | None = None) -> list[SamplePage]:
    roots = [SAMPLES / org] if org else sorted(p for p in SAMPLES.glob("*") if p.is_dir())
    pages = []
    for root in roots:
        for path in sorted(root.rglob("*.md")):
            rel = path.relative_to(root).as_posix()
            if looks_like_postmortem(rel):
                pages.append(to_page(path.relative_to(SAMPLES).as_posix(), path.read_text("utf-8")))
    return pages[:limit] if limit else pages


def to_page(rel: str, text: str) -> SamplePage:
    props: dict = {}
    if text.startswith("---\n"):
        head, _, text = text[4:].partition("\n---\n")
        props = {str(k).lower(): v for k, v in (yaml.safe_load(head) or {}).items()}
    title = str(props.pop("title", "") or "")
    lines = text.lstrip("\n").splitlines()
    if lines and lines[0].startswith("# "):
        title = title or lines[0][2:].strip()
        lines = lines[1:]
    if not title:
        title = Path(rel).stem
    # A dated file name is what a Date property holds in Notion or Confluence.
    dated = re.match(r"(\d{4}-\d{2}-\d{2})[-_]", Path(rel).name)
    if dated and not props.get("date"):
        props["date"] = dated.group(1)
    if isinstance(props.get("services"), str):
        props["services"] = props["services"].split(",")
    props = {k: [str(s).strip() for s in v] if isinstance(v, list) else str(v) for k, v in props.items() if v}
    return SamplePage(rel, title, "\n".join(lines).strip() + "\n", props)
