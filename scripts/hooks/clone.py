"""The commands that fetch this project, on the pages that tell readers to run it.

A whole line `<!-- clone: -->` becomes a shell block with `git clone <repo_url>.git` and the
`cd` into it, so the landing page names the real repository (a fork's own, when it deploys)
instead of a placeholder.
"""

import re

from mkdocs.exceptions import PluginError

SHORTCODE = re.compile(r"^<!--\s*clone\s*:\s*-->\s*$", re.MULTILINE)


def clone_commands(repo_url: str) -> str:
    """A fenced shell block that clones `repo_url` (https://host/owner/name) and enters it."""
    match = re.fullmatch(r"(https://[^/]+/[^/]+/([^/]+?))(?:\.git)?/?", repo_url or "")
    if not match:
        raise PluginError(f"clone: repo_url {repo_url!r} is not https://host/owner/name")
    return f"```sh\ngit clone {match.group(1)}.git\ncd {match.group(2)}\n```"


def on_page_markdown(markdown, page, config, files):
    if not SHORTCODE.search(markdown):
        return markdown
    return SHORTCODE.sub(lambda _: clone_commands(config.repo_url), markdown)
