"""Render LaTeX math to MathML at build time, so pages need no math script from anywhere.

pymdownx.arithmatex (generic mode) finds the math in Markdown and leaves it in
`<span class="arithmatex">\\(...\\)</span>` (inline) or `<div class="arithmatex">\\[...\\]</div>`
(display). This hook converts each one with latex2mathml; browsers render MathML natively.
LaTeX that latex2mathml cannot read stops the build with the page and the formula. So does an
unknown command such as a misspelt `\\sigam`, which latex2mathml would otherwise print as text,
and an alignment `&` (latex2mathml does not support `aligned` and prints the `&`; use `array`).

A thousands separator written `2{,}500` comes out as a number, an operator comma and a number,
which MathML renders with a gap after the comma ("2, 500"); the hook joins it into one number.
"""

import html
import re

from latex2mathml.converter import convert
from mkdocs.exceptions import PluginError

INLINE = re.compile(r'<span class="arithmatex">\\\((?P<tex>.*?)\\\)</span>', re.DOTALL)
DISPLAY = re.compile(r'<div class="arithmatex">\\\[(?P<tex>.*?)\\\]</div>', re.DOTALL)
UNKNOWN_COMMAND = re.compile(r">(\\[A-Za-z]+)<")
STRAY_AMPERSAND = "<mi>&</mi>"
GROUPED_DIGITS = re.compile(
    r"<mn>(\d[\d,]*)</mn><mrow><mo>&#x0002C;</mo></mrow><mn>(\d{3}(?:\.\d+)?)</mn>"
)


def join_thousands(mathml: str) -> str:
    """<mn>2</mn><mrow><mo>,</mo></mrow><mn>500</mn> -> <mn>2,500</mn>, repeatedly."""
    joined = GROUPED_DIGITS.sub(r"<mn>\1,\2</mn>", mathml)
    return joined if joined == mathml else join_thousands(joined)


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
    if STRAY_AMPERSAND in mathml:
        raise PluginError(f"{page}: '&' outside an array (aligned is unsupported) in {source!r}")
    mathml = join_thousands(mathml)
    return f'<div class="mlsd-math">{mathml}</div>' if display else mathml


def render_math(page_html: str, page: str = "?") -> str:
    page_html = DISPLAY.sub(lambda m: to_mathml(m.group("tex"), True, page), page_html)
    return INLINE.sub(lambda m: to_mathml(m.group("tex"), False, page), page_html)


def on_page_content(page_html: str, page, config, files) -> str:
    return render_math(page_html, page.file.src_uri)
