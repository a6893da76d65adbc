"""The README and docs/ link only to files of this repository, and every such link resolves
(mkdocs' strict build checks the links between pages; this covers the README too)."""
import glob
import os
import re

import pytest

from .conftest import ROOT

PAGES = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _links(path):
    with open(path, encoding="utf-8") as fh:
        text = re.sub(r"^```.*?^```", "", fh.read(), flags=re.S | re.M)  # code is not links
    return LINK.findall(text)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: os.path.relpath(p, ROOT))
def test_links_stay_in_the_repository_and_resolve(page):
    for target in _links(page):
        assert not re.match(r"^[a-z]+:", target), f"{target}: a link outside the repository"
        path = target.split("#")[0]
        if path:
            resolved = os.path.normpath(os.path.join(os.path.dirname(page), path))
            assert resolved.startswith(ROOT + os.sep), f"{target}: outside the repository"
            assert os.path.exists(resolved), f"{target}: no such file"
