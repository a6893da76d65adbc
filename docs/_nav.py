"""mkdocs hook: the nav of mkdocs.yml, with the pages that do not exist (yet) left out and
any page under docs/ it does not list added at the end, so the strict build passes with
whatever pages exist (engineers add pages as they go)."""
import os


def _listed(entry) -> str:
    return next(iter(entry.values())) if isinstance(entry, dict) else entry


def on_config(config):
    docs = config["docs_dir"]
    nav = [e for e in config["nav"] or [] if os.path.exists(os.path.join(docs, _listed(e)))]
    named = {_listed(e) for e in nav}
    for root, _dirs, files in os.walk(docs):
        for name in sorted(files):
            path = os.path.relpath(os.path.join(root, name), docs).replace(os.sep, "/")
            if name.endswith(".md") and path not in named:
                nav.append(path)
    config["nav"] = nav
    return config
