"""Facts that several layers state: each is written here once.

The site's address (every permalink is built from it), the outcomes a cell can have, and
the outcomes that count as a real load attempt. mkdocs takes `site_url` from here too
(docs/hooks.py); tests check that the record schema's outcome enum says the same.
"""

from __future__ import annotations

SITE_URL = "https://kustomize-plugin-matrix.github.io/"
ERRORS_URL = f"{SITE_URL}errors/"

# Every outcome of a cell, in the order pages and tables list them.
OUTCOMES = ("loads", "fails", "build-failed", "skipped", "not-run", "harness-error")
# The outcomes of a load that really ran: the denominators of "loads in N of M".
TRIED = ("loads", "fails")


def error_link(error_class: str) -> str:
    """The permalink of an error class's page: /errors/<class>/."""
    return f"{ERRORS_URL}{error_class}/"
