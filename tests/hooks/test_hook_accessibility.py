"""The accessibility hook names the theme's search dialog and progress bar, and says so loudly
when the theme's markup no longer matches."""

import pytest
from mkdocs.exceptions import PluginError

from conftest import load_hook

hook = load_hook("accessibility")


def test_search_dialog_and_progress_bar_get_accessible_names():
    html = "".join(hook.FIXES) + "<p>page</p>"
    fixed = hook.add_accessible_names(html, "page.md")
    assert 'role="dialog" aria-label="Search"' in fixed
    assert 'role="progressbar" aria-label="Loading the next page"' in fixed
    assert fixed.endswith("<p>page</p>")


def test_changed_theme_markup_stops_the_build_with_the_page_named():
    with pytest.raises(PluginError, match="page.md: the theme no longer renders"):
        hook.add_accessible_names("<html>no search here</html>", "page.md")
