"""Reading the practice site's pages back in tests: each article and its variant templates."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any


@dataclass
class Article:
    attrs: dict[str, str]
    variants: list[dict[str, str]] = field(default_factory=list)  # each template's attributes
    mistakes: dict[str, str] = field(default_factory=dict)  # name → the explanation's text

    @property
    def family(self) -> str:
        return self.attrs["data-family"]

    @property
    def params(self) -> Any:
        return json.loads(self.attrs["data-params"])


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.articles: list[Article] = []
        self.text: list[str] = []  # text outside <template>, <script> and <math>
        self._mistake: str | None = None
        self._skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "article":
            self.articles.append(Article(a))
        elif tag == "template" and "variant" in a.get("class", ""):
            self.articles[-1].variants.append(a)
        elif "data-mistake" in a:
            self._mistake = a["data-mistake"]
            self.articles[-1].mistakes[self._mistake] = ""
        if tag in ("template", "script", "math", "style"):
            self._skip.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()
        if tag == "p":
            self._mistake = None

    def handle_data(self, data: str) -> None:
        if self._mistake is not None:
            self.articles[-1].mistakes[self._mistake] += data
        if not self._skip:
            self.text.append(data)


def read_page(path: Path) -> tuple[list[Article], str]:
    """The page's articles and its text outside templates, scripts and math."""
    reader = _Reader()
    reader.feed(path.read_text(encoding="utf-8"))
    return reader.articles, "".join(reader.text)
