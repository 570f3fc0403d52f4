"""The canvas hook: the form it renders, its shortcode, and whole builds that succeed or stop."""

import io
import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from mkdocs.structure.files import File, Files
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from conftest import HOOKS, load_hook, mkdocs_build

hook = load_hook("canvas")
snippets_hook = load_hook("snippets")
tool = hook.tool

PDF_HREFS = ("blank-a3.pdf", "blank-a3.fields.json")

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


class Form:
    """A rendered form or page read with BeautifulSoup: `tags`, every element in document order
    as (name, attributes), and `find`, the attributes of each `tag` that has these values."""

    def __init__(self, markup: str):
        # multi_valued_attributes=None: `class` stays the string the hook wrote, not a list
        soup = BeautifulSoup(markup, "html.parser", multi_valued_attributes=None)
        self.tags = [(tag.name, dict(tag.attrs)) for tag in soup.find_all(True)]

    def find(self, tag, **attrs) -> list[dict]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def parse(markup: str) -> Form:
    return Form(markup)


# --- the form ---------------------------------------------------------------------------------


def test_form_has_the_contract_structure_for_the_real_canvas():
    definition = tool.load_definition()
    form = parse(hook.render_form(definition, {}, PDF_HREFS))
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
    assert actions == [
        "export-json",
        "export-markdown",
        "export-pdf",
        "import-json",
        "print",
        "clear",
    ]
    (button,) = form.find("button", **{"data-action": "export-pdf"})
    assert (button["data-pdf"], button["data-fill-map"]) == PDF_HREFS
    assert form.find("p", **{"class": "mlsd-canvas__status", "role": "status"})


def test_form_numbers_sections_in_order_and_escapes_every_text():
    chapters = {"metric": ("../guide/metrics/#pick-one", "Guide & notes")}
    markup = hook.render_form(TINY, chapters, ('a "b".pdf', "c&d.json"))
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
    assert 'data-pdf="a &quot;b&quot;.pdf" data-fill-map="c&amp;d.json"' in markup
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


# --- the fill map: what the browser needs to fill in a blank PDF ------------------------------


def parsed(text: str, reader: PdfReader) -> DictionaryObject:
    """A dictionary from the fill map, read back by pypdf; its references point into `reader`."""
    return DictionaryObject.read_from_stream(io.BytesIO(text.encode("ascii")), reader)


def without(dictionary, *keys) -> dict:
    return {key: value for key, value in dictionary.items() if key not in keys}


@pytest.mark.parametrize("size", list(hook.BLANK_PDFS))
def test_fill_map_names_the_objects_and_offsets_of_the_real_pdf(size):
    definition = tool.load_definition()
    pdf = tool.build_pdf(definition, size=size)
    fields = hook.fill_map(pdf, definition, "blank.pdf")
    reader = PdfReader(io.BytesIO(pdf))

    assert fields["length"] == len(pdf)
    last_startxref = pdf[pdf.rindex(b"startxref") :].split()[1]
    assert fields["startxref"] == int(last_startxref)
    assert pdf[fields["startxref"] :].startswith(b"xref\n")  # a classic table
    assert parsed(fields["trailer"], reader) == without(reader.trailer, "/Prev")

    acroform = reader.trailer["/Root"].raw_get("/AcroForm")
    assert fields["acroform"]["object"] == acroform.idnum
    assert fields["acroform"]["generation"] == acroform.generation
    assert parsed(fields["acroform"]["dictionary"], reader) == acroform.get_object()

    ids = [item["id"] for item in (*definition["header"], *definition["sections"])]
    assert list(fields["fields"]) == ids
    for ref in acroform.get_object()["/Fields"]:
        entry = fields["fields"][ref.get_object()["/T"]]
        assert (entry["object"], entry["generation"]) == (ref.idnum, ref.generation)
        assert parsed(entry["dictionary"], reader) == without(ref.get_object(), "/V", "/AP")
    # the browser counts characters as bytes
    assert json.dumps(fields, ensure_ascii=False).isascii()


def test_fill_map_refuses_a_pdf_whose_cross_reference_is_a_stream(tmp_path):
    qpdf = shutil.which("qpdf") or "/usr/bin/qpdf"
    definition = tool.load_definition()
    (tmp_path / "blank.pdf").write_bytes(tool.build_pdf(definition))
    subprocess.run(
        [qpdf, "--object-streams=generate", "blank.pdf", "streams.pdf"], cwd=tmp_path, check=True
    )
    streams = (tmp_path / "streams.pdf").read_bytes()
    assert b"/XRef" in streams  # qpdf wrote a cross-reference stream
    with pytest.raises(hook.CanvasHookError, match=r"x\.pdf: its cross-reference is not a classic"):
        hook.fill_map(streams, definition, "x.pdf")


def test_fill_map_refuses_a_pdf_with_other_fields():
    definition = tool.load_definition()
    other = {**definition, "header": definition["header"][1:]}
    with pytest.raises(hook.CanvasHookError, match=r"x\.pdf: its fields \(authors, date"):
        hook.fill_map(tool.build_pdf(other), definition, "x.pdf")


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
    assert (
        "canvas: 2 blank PDFs with fill maps, the Markdown template and 1 filled case-study PDFs"
        in done.stderr
    )
    site = project / "site"
    definition = tool.load_definition(project / "docs" / "canvas" / "canvas.yml")
    for name in ("ml-system-design-canvas-a3.pdf", "ml-system-design-canvas-a4.pdf"):
        pdf = (site / "canvas" / name).read_bytes()
        assert set(PdfReader(io.BytesIO(pdf)).get_fields()) == {"project", "users", "metric"}
        fields = json.loads((site / "canvas" / name.replace(".pdf", ".fields.json")).read_text())
        assert fields == hook.fill_map(pdf, definition, name)
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
    assert form.find(
        "button",
        **{
            "data-pdf": "ml-system-design-canvas-a3.pdf",
            "data-fill-map": "ml-system-design-canvas-a3.fields.json",
        },
    )
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
