"""Rewrite the generated sections (rule catalogue, policy options) of every documentation
page that has them: README.md and the pages under docs/ (``lrguard.catalogue.fill``)."""

from pathlib import Path

from lrguard.catalogue import fill, sections_in

ROOT = Path(__file__).resolve().parents[1]


def pages() -> list[Path]:
    """README.md and every Markdown page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


if __name__ == "__main__":
    for page in pages():
        text = page.read_text(encoding="utf-8")
        if not sections_in(text):
            continue
        filled = fill(text)
        if filled != text:
            page.write_text(filled, encoding="utf-8")
        print(f"{'updated' if filled != text else 'current'}: {page.relative_to(ROOT)}")
