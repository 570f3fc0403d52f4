"""Render LaTeX math to MathML at build time, so pages need no math script from anywhere.

pymdownx.arithmatex (generic mode) finds the math in Markdown and leaves it in
`<span class="arithmatex">\\(...\\)</span>` (inline) or `<div class="arithmatex">\\[...\\]</div>`
(display). This hook converts each one with latex2mathml; browsers render MathML natively.
LaTeX that latex2mathml cannot read stops the build with the page and the formula. So does an
unknown command such as a misspelt `\\sigam`, which latex2mathml would otherwise print as text.
"""

import html
import re

from latex2mathml.converter import convert
from mkdocs.exceptions import PluginError

INLINE = re.compile(r'<span class="arithmatex">\\\((?P<tex>.*?)\\\)</span>', re.DOTALL)
DISPLAY = re.compile(r'<div class="arithmatex">\\\[(?P<tex>.*?)\\\]</div>', re.DOTALL)
UNKNOWN_COMMAND = re.compile(r">(\\[A-Za-z]+)<")


def to_mathml(tex: str, display: bool, page: str = "?") -> str:
    """Convert one formula (HTML-escaped, as arithmatex emits it) to a MathML element."""
    source = html.unescape(tex).strip()
    try:
        mathml = convert(source, display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises many exception types
        raise PluginError(f"{page}: cannot render math {source!r}: {error!r}") from error
    unknown = UNKNOWN_COMMAND.search(mathml)
    if unknown:
        raise PluginError(f"{page}: unknown LaTeX command {unknown.group(1)} in {source!r}")
    return f'<div class="mlsd-math">{mathml}</div>' if display else mathml


def render_math(page_html: str, page: str = "?") -> str:
    page_html = DISPLAY.sub(lambda m: to_mathml(m.group("tex"), True, page), page_html)
    return INLINE.sub(lambda m: to_mathml(m.group("tex"), False, page), page_html)


def on_page_content(page_html: str, page, config, files) -> str:
    return render_math(page_html, page.file.src_uri)
