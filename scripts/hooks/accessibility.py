"""Accessibility fixes to markup that Material for MkDocs renders on every page.

Material's search dialog and page-load progress bar carry ARIA roles without an accessible
name, which axe-core and Lighthouse report (aria-dialog-name, aria-progressbar-name). Each fix
is an exact replacement; if the theme's markup changes (say, after an upgrade that fixes it), the
build stops and says which fix no longer applies, rather than silently doing nothing.
"""

from mkdocs.exceptions import PluginError

FIXES = {
    '<div class="md-search" data-md-component="search" role="dialog">': (
        '<div class="md-search" data-md-component="search" role="dialog" aria-label="Search">'
    ),
    '<div class="md-progress" data-md-component="progress" role="progressbar">': (
        '<div class="md-progress" data-md-component="progress" role="progressbar" '
        'aria-label="Loading the next page">'
    ),
}


def add_accessible_names(html: str, page: str) -> str:
    for theirs, ours in FIXES.items():
        if theirs not in html:
            raise PluginError(
                f"accessibility: {page}: the theme no longer renders {theirs!r}; "
                "check whether the fix in scripts/hooks/accessibility.py is still needed"
            )
        html = html.replace(theirs, ours)
    return html


def on_post_page(output, page, config):
    return add_accessible_names(output, page.file.src_uri)


def on_post_template(output, template_name, config):
    """The 404 page is rendered from a template, not as a page, and needs the same fixes."""
    return add_accessible_names(output, template_name) if template_name == "404.html" else output
