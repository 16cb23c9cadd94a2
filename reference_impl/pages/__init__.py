"""The switch's HTML pages (Jinja2 templates extending the kit's ``base.html``)."""

from pathlib import Path

TEMPLATES = Path(__file__).with_name("templates")
