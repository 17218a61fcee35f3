"""Rewrite the generated sections of README.md (rule catalogue, policy options)."""

from pathlib import Path

from lrguard.catalogue import fill

README = Path(__file__).resolve().parents[1] / "README.md"

if __name__ == "__main__":
    README.write_text(fill(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"updated {README}")
