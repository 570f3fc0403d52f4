"""The math hook turns arithmatex's output into MathML and refuses LaTeX it cannot read."""

import pytest
from mkdocs.exceptions import PluginError

from conftest import load_hook

hook = load_hook("mathml")


def test_inline_and_display_math_become_mathml():
    html = (
        '<p>See <span class="arithmatex">\\(x^2\\)</span>.</p>'
        '<div class="arithmatex">\\[\\frac{a}{b}\\]</div>'
    )
    out = hook.render_math(html, "p.md")
    assert "arithmatex" not in out
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in out
    assert '<div class="mlsd-math"><math' in out and "<mfrac>" in out


def test_html_escaped_latex_is_unescaped_before_conversion():
    out = hook.render_math('<span class="arithmatex">\\(a &lt; b\\)</span>', "p.md")
    assert "<mo>&#x0003C;</mo>" in out


def test_unreadable_latex_names_the_page_and_formula():
    with pytest.raises(PluginError, match=r"p\.md: cannot render math 'x\^'"):
        hook.render_math('<span class="arithmatex">\\(x^\\)</span>', "p.md")


def test_misspelt_command_is_an_error_not_text():
    with pytest.raises(PluginError, match=r"p\.md: unknown LaTeX command \\sigam"):
        hook.render_math('<span class="arithmatex">\\(\\sigam^2\\)</span>', "p.md")


def test_thousands_separators_become_one_number():
    out = hook.render_math('<span class="arithmatex">\\(1{,}234{,}567.5 + 2{,}500\\)</span>', "p")
    assert "<mn>1,234,567.5</mn>" in out and "<mn>2,500</mn>" in out
    assert "&#x0002C;" not in out


def test_a_comma_between_symbols_stays_an_operator():
    out = hook.render_math('<span class="arithmatex">\\(f(x, y)\\)</span>', "p")
    assert "<mo>&#x0002C;</mo>" in out


def test_alignment_ampersand_outside_an_array_is_an_error():
    with pytest.raises(PluginError, match=r"p\.md: '&' outside an array"):
        hook.render_math(
            '<span class="arithmatex">\\(\\begin{aligned} a &amp;= b \\end{aligned}\\)</span>',
            "p.md",
        )
