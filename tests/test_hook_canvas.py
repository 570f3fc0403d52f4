"""The canvas hook: the form it renders, its shortcode, and whole builds that succeed or stop."""

import io
import json
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest
from mkdocs.structure.files import File, Files
from pypdf import PdfReader

from conftest import HOOKS, load_hook, mkdocs_build

hook = load_hook("canvas")
snippets_hook = load_hook("snippets")
tool = hook.tool

TINY = {
    "name": "tiny-canvas",
    "title": "Tiny & Co Canvas",
    "version": 2,
    "header": [{"id": "project", "label": "Project"}, {"id": "owner", "label": "Owner <lead>"}],
    "sections": [
        {
            "id": "users",
            "title": "Users & buyers",
            "questions": ["Who <script>alert(1)</script> uses it?", "What do they do?"],
            "hint": 'Say "who", not "everyone".',
        },
        {
            "id": "metric",
            "title": "Metric",
            "questions": ["Which number moves?"],
            "hint": "One number.",
            "chapter": "guide/metrics.md#pick-one",
        },
    ],
}


class FormParser(HTMLParser):
    """Records the tags and attributes of a rendered form, and its text by element id."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag, **attrs) -> list[dict]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def parse(markup: str) -> FormParser:
    parser = FormParser()
    parser.feed(markup)
    return parser


# --- the form ---------------------------------------------------------------------------------


def test_form_has_the_contract_structure_for_the_real_canvas():
    definition = tool.load_definition()
    form = parse(hook.render_form(definition, {}))
    (root,) = form.find("form", **{"class": "mlsd-canvas"})
    assert root["data-canvas-name"] == "mlsd-canvas" and root["data-canvas-version"] == "1"
    assert root["autocomplete"] == "off"
    header_inputs = [a["name"] for a in form.find("input", type="text")]
    assert header_inputs == [f"header.{h['id']}" for h in definition["header"]]
    sections = [a["data-section"] for a in form.find("section")]
    assert sections == [s["id"] for s in definition["sections"]]
    for sid in sections:
        (area,) = form.find("textarea", name=f"sections.{sid}")
        assert area["aria-labelledby"] == f"canvas-{sid}" and form.find("h3", id=f"canvas-{sid}")
    actions = [a["data-action"] for t, a in form.tags if "data-action" in a]
    assert actions == ["export-json", "export-markdown", "import-json", "print", "clear"]
    assert form.find("p", **{"class": "mlsd-canvas__status", "role": "status"})


def test_form_numbers_sections_in_order_and_escapes_every_text():
    markup = hook.render_form(TINY, {"metric": ("../guide/metrics/#pick-one", "Guide & notes")})
    assert "<script>" not in markup
    assert "<li>Who &lt;script&gt;alert(1)&lt;/script&gt; uses it?</li>" in markup
    assert '<h3 id="canvas-users">1. Users &amp; buyers</h3>' in markup
    assert '<h3 id="canvas-metric">2. Metric</h3>' in markup
    assert markup.index("canvas-users") < markup.index("canvas-metric")
    assert "Say &quot;who&quot;, not &quot;everyone&quot;." in markup
    assert "<label>Owner &lt;lead&gt; <input" in markup
    assert 'data-canvas-title="Tiny &amp; Co Canvas"' in markup
    assert '<a href="../guide/metrics/#pick-one">Read: Guide &amp; notes</a>' in markup
    assert markup.count("<a href") == 1  # only sections with a chapter link to one
    assert "\n\n" not in markup  # one raw-HTML block for Markdown


@pytest.mark.parametrize(
    "directory_urls, page, href",
    [
        (True, "canvas/index.md", "../guide/metrics/#pick-one"),
        (True, "index.md", "guide/metrics/#pick-one"),
        (True, "a/b/c.md", "../../../guide/metrics/#pick-one"),
        (False, "canvas/index.md", "../guide/metrics.html#pick-one"),
    ],
)
def test_chapter_links_are_relative_to_the_page(tmp_path, directory_urls, page, href):
    docs = tmp_path / "docs"
    (docs / "guide").mkdir(parents=True)
    (docs / "guide" / "metrics.md").write_text("# Choosing metrics\n\ntext\n")
    files = Files(
        [File(p, str(docs), str(tmp_path / "site"), directory_urls) for p in ("guide/metrics.md",)]
    )
    here = File(page, str(docs), str(tmp_path / "site"), directory_urls)
    assert hook.chapter_links(TINY, files, here) == {"metric": (href, "Choosing metrics")}


# --- the shortcode ----------------------------------------------------------------------------


def test_shortcode_is_found_on_its_own_line_outside_code_fences():
    page = "# T\n\n<!--canvas:form-->\n```md\n<!-- canvas: form -->\n```\nSay <!-- canvas: x -->.\n"
    assert hook.find_shortcodes(page, "p.md") == [3]
    assert hook.find_shortcodes("# Nothing here\n", "p.md") == []


def test_unknown_argument_and_second_form_are_errors_naming_page_and_line():
    with pytest.raises(hook.CanvasHookError, match=r"p\.md:2: unknown canvas shortcode argument"):
        hook.find_shortcodes("# T\n<!-- canvas: pdf -->\n", "p.md")
    with pytest.raises(hook.CanvasHookError, match=r"p\.md:3: the canvas form can appear once"):
        hook.find_shortcodes("<!-- canvas: form -->\n\n<!-- canvas: form -->\n", "p.md")


def test_snippet_hook_leaves_canvas_shortcodes_to_this_hook():
    assert snippets_hook.parse_shortcodes("<!-- canvas: form -->\n", "p.md") == []
    with pytest.raises(snippets_hook.SnippetError, match="unknown shortcode 'canvass'"):
        snippets_hook.parse_shortcodes("<!-- canvass: form -->\n", "p.md")


# --- whole builds of a tiny project -----------------------------------------------------------

CANVAS_YML = """\
name: mlsd-canvas
title: Tiny Canvas
version: 1
header:
  - {id: project, label: Project}
sections:
  - id: users
    title: Users
    questions:
      - Who uses it?
    hint: Start here.
  - id: metric
    title: Metric
    questions:
      - Which number moves?
    hint: One number.
    chapter: guide.md#pick-one
"""

CANVAS_PAGE = """\
# Canvas

[A3](ml-system-design-canvas-a3.pdf), [A4](ml-system-design-canvas-a4.pdf),
[template](ml-system-design-canvas.md), [demo](../case-studies/demo.pdf).

<!-- canvas: form -->

After the form.
"""

DEMO = {
    "canvas": "mlsd-canvas",
    "version": 1,
    "sections": {"users": "Shop owners.\nAnd café staff."},
}


@pytest.fixture
def project(tmp_path):
    """A minimal MkDocs project with both hooks, a canvas page and one case study."""
    docs = tmp_path / "docs"
    for folder in ("canvas", "case-studies"):
        (docs / folder).mkdir(parents=True)
    (tmp_path / "snippets").mkdir()
    (docs / "index.md").write_text("# Home\n")
    (docs / "guide.md").write_text("# Guide\n\n## Pick one\n\nText.\n")
    (docs / "canvas" / "canvas.yml").write_text(CANVAS_YML)
    (docs / "canvas" / "index.md").write_text(CANVAS_PAGE)
    (docs / "case-studies" / "demo.md").write_text("# Demo\n\n[Filled canvas](demo.pdf)\n")
    (docs / "case-studies" / "demo.canvas.json").write_text(json.dumps(DEMO))
    (tmp_path / "mkdocs.yml").write_text(
        textwrap.dedent(
            f"""\
            site_name: tiny
            markdown_extensions:
              - attr_list
              - md_in_html
              - toc
            hooks:
              - {HOOKS / "snippets.py"}
              - {HOOKS / "canvas.py"}
            """
        )
    )
    return tmp_path


def build(project: Path):
    return mkdocs_build(project, project / "site")


def test_build_publishes_pdfs_template_and_form_and_writes_nothing_into_docs(project):
    before = sorted(p.relative_to(project) for p in (project / "docs").rglob("*"))
    done = build(project)
    assert done.returncode == 0, done.stderr
    assert "canvas: 2 blank PDFs, the Markdown template and 1 filled case-study PDFs" in done.stderr
    site = project / "site"
    definition = tool.load_definition(project / "docs" / "canvas" / "canvas.yml")
    for name in ("ml-system-design-canvas-a3.pdf", "ml-system-design-canvas-a4.pdf"):
        pdf = (site / "canvas" / name).read_bytes()
        assert set(PdfReader(io.BytesIO(pdf)).get_fields()) == {"project", "users", "metric"}
    assert (site / "canvas" / "ml-system-design-canvas-a3.pdf").read_bytes() == tool.build_pdf(
        definition, size="A3"
    )
    template = (site / "canvas" / "ml-system-design-canvas.md").read_text(encoding="utf-8")
    assert template == tool.to_markdown(definition)
    assert not (site / "canvas" / "ml-system-design-canvas" / "index.html").exists()
    filled = PdfReader(site / "case-studies" / "demo.pdf").get_form_text_fields()
    assert filled["users"] == DEMO["sections"]["users"]
    page = (site / "canvas" / "index.html").read_text(encoding="utf-8")
    form = parse(page)
    assert [a["data-section"] for a in form.find("section")] == ["users", "metric"]
    assert form.find("a", href="../guide/#pick-one")
    assert "After the form." in page and "canvas: form" not in page
    assert sorted(p.relative_to(project) for p in (project / "docs").rglob("*")) == before


def test_bad_case_study_json_stops_the_build_naming_the_file(project):
    (project / "docs" / "case-studies" / "demo.canvas.json").write_text('{"canvas": "mlsd-canvas"')
    done = build(project)
    assert done.returncode != 0
    assert "docs/case-studies/demo.canvas.json: not valid JSON" in done.stderr


def test_case_study_with_an_unknown_section_stops_the_build(project):
    demo = {**DEMO, "sections": {"buyers": "x"}}
    (project / "docs" / "case-studies" / "demo.canvas.json").write_text(json.dumps(demo))
    done = build(project)
    assert done.returncode != 0
    assert "demo.canvas.json: unknown section 'buyers' (known: users, metric)" in done.stderr


def test_unknown_shortcode_argument_stops_the_build_naming_page_and_line(project):
    page = CANVAS_PAGE.replace("<!-- canvas: form -->", "<!-- canvas: xyz -->")
    (project / "docs" / "canvas" / "index.md").write_text(page)
    done = build(project)
    assert done.returncode != 0
    assert "canvas/index.md:6: unknown canvas shortcode argument 'xyz'" in done.stderr


def test_chapter_that_is_not_a_page_stops_the_build(project):
    yml = CANVAS_YML.replace("guide.md#pick-one", "gide.md")
    (project / "docs" / "canvas" / "canvas.yml").write_text(yml)
    done = build(project)
    assert done.returncode != 0
    assert (
        "docs/canvas/canvas.yml: section 2 (metric): chapter 'gide.md' names a page that "
        "does not exist: docs/gide.md"
    ) in done.stderr


def test_chapter_anchor_that_is_not_a_heading_stops_the_build(project):
    yml = CANVAS_YML.replace("guide.md#pick-one", "guide.md#pick-two")
    (project / "docs" / "canvas" / "canvas.yml").write_text(yml)
    done = build(project)
    assert done.returncode != 0
    assert "docs/guide.md has no heading with the id 'pick-two'" in done.stderr


def test_broken_definition_stops_the_build_naming_it(project):
    (project / "docs" / "canvas" / "canvas.yml").write_text(
        CANVAS_YML.replace("hint: One", "hnt: One")
    )
    done = build(project)
    assert done.returncode != 0
    assert "docs/canvas/canvas.yml: section 2 (metric): missing 'hint'" in done.stderr


def test_committed_copy_of_a_generated_file_is_refused(project):
    (project / "docs" / "case-studies" / "demo.pdf").write_bytes(b"%PDF-stale")
    done = build(project)
    assert done.returncode != 0
    assert "docs/case-studies/demo.pdf exists, but the build generates it" in done.stderr
