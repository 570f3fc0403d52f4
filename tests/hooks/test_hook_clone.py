"""The clone hook: the landing page's `git clone` names the repository in repo_url."""

import pytest
from mkdocs.exceptions import PluginError

from conftest import load_hook

hook = load_hook("clone")


@pytest.mark.parametrize(
    "repo_url",
    [
        "https://github.com/owner/book",
        "https://github.com/owner/book/",
        "https://github.com/owner/book.git",
    ],
)
def test_clone_commands_clone_the_repository_and_enter_it(repo_url):
    assert hook.clone_commands(repo_url) == (
        "```sh\ngit clone https://github.com/owner/book.git\ncd book\n```"
    )


@pytest.mark.parametrize(
    "repo_url", [None, "", "github.com/owner/book", "https://github.com/owner"]
)
def test_clone_commands_refuse_an_address_they_cannot_clone(repo_url):
    with pytest.raises(PluginError, match="repo_url"):
        hook.clone_commands(repo_url)


def test_only_a_whole_line_shortcode_is_replaced():
    config = type("Config", (), {"repo_url": "https://github.com/o/r"})()
    page = "Run:\n<!-- clone: -->\nor read `<!-- clone: -->` inline.\n"
    out = hook.on_page_markdown(page, None, config, None)
    assert out.startswith("Run:\n```sh\ngit clone https://github.com/o/r.git\ncd r\n```\n")
    assert "`<!-- clone: -->` inline" in out
