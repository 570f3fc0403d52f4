"""Publish the ML System Design Canvas from its one definition, docs/canvas/canvas.yml.

At every build:
- `on_files` loads and checks canvas.yml with scripts/canvas.py, checks that each section's
  `chapter:` names a page of the site, and adds generated files to the site (nothing is written
  into docs/):
    canvas/ml-system-design-canvas-a3.pdf   blank, fillable, landscape A3
    canvas/ml-system-design-canvas-a4.pdf   blank, fillable, landscape A4
    canvas/ml-system-design-canvas-a3.fields.json, -a4.fields.json
                                            each blank PDF's fill map: what the browser needs
                                            to write values into that exact file
    canvas/ml-system-design-canvas.md       the Markdown template
    case-studies/<name>.pdf                 filled from docs/case-studies/<name>.canvas.json
  A PDF takes a few milliseconds to make, so all of them are made afresh each time rather than
  cached; the build log says how long they took.
- `on_page_markdown` replaces the whole-line shortcode `<!-- canvas: form -->` with the browser
  canvas: a form with a text box per section, which docs/assets/canvas.js brings to life. Its
  "Download PDF" button names the A3 PDF and its fill map, relative to the page.
- `on_env`, once every page is rendered, checks that the anchor of each `chapter:` exists.

Anything wrong (a broken canvas.yml, a case-study file that is not valid canvas JSON, a chapter
that does not exist, an unknown `<!-- canvas: ... -->` argument) stops the build and names the
file, and the line or section.
"""

from __future__ import annotations

import html
import importlib.util
import io
import json
import logging
import re
import sys
import time
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject, PdfObject

SHORTCODE = re.compile(r"^<!--\s*canvas\s*:\s*(?P<args>.*?)\s*-->\s*$")
FENCE = re.compile(r"^(`{3,}|~{3,})")
BLANK_PDFS = {
    "A3": "canvas/ml-system-design-canvas-a3.pdf",
    "A4": "canvas/ml-system-design-canvas-a4.pdf",
}
FILLED_PDF_SIZE = "A3"  # the paper size of the PDF that "Download PDF" fills in the browser
TEMPLATE = "canvas/ml-system-design-canvas.md"
STARTXREF = re.compile(rb"startxref\s+(?P<offset>\d+)\s+%%EOF\s*$")  # the end of a PDF
CASE_STUDY = re.compile(r"^case-studies/(?P<name>[^/]+)\.canvas\.json$")

log = logging.getLogger("mkdocs.hooks.canvas")


def load_tool():
    """Import scripts/canvas.py afresh, so that `mkdocs serve` picks up edits to it."""
    path = Path(__file__).resolve().parent.parent / "canvas.py"
    spec = importlib.util.spec_from_file_location("mlsd_canvas_tool", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


tool = load_tool()


class CanvasHookError(PluginError):
    """The canvas definition, a case-study canvas or a shortcode is wrong; the message says
    which file and where."""


class DownloadFile(File):
    """A generated file served as it is, even when its name ends in .md: the Markdown template
    is a download, not a page of the site."""

    def is_documentation_page(self) -> bool:
        return False


# --- pure functions -------------------------------------------------------------------------


def find_shortcodes(markdown: str, page: str) -> list[int]:
    """Line numbers of `<!-- canvas: form -->` outside code fences; other arguments are errors."""
    found, fence = [], None
    for number, line in enumerate(markdown.splitlines(), start=1):
        opener = FENCE.match(line.strip())
        if opener:
            if fence is None:
                fence = opener.group(1)
            elif line.strip().startswith(fence) and line.strip().strip("`~") == "":
                fence = None
            continue
        match = SHORTCODE.match(line) if fence is None else None
        if not match:
            continue
        if match.group("args") != "form":
            raise CanvasHookError(
                f"{page}:{number}: unknown canvas shortcode argument {match.group('args')!r} "
                f"(known: form): {line.strip()}"
            )
        found.append(number)
    if len(found) > 1:
        raise CanvasHookError(f"{page}:{found[1]}: the canvas form can appear once per page")
    return found


def chapter_target(chapter: str) -> tuple[str, str]:
    """'page.md#anchor' -> ('page.md', 'anchor'); the anchor may be empty."""
    path, _, anchor = chapter.partition("#")
    return path, anchor


def render_form(
    definition: dict, chapters: dict[str, tuple[str, str]], pdf: tuple[str, str]
) -> str:
    """The browser canvas as raw HTML. `chapters` maps a section id to the (href, title) of
    its chapter, and `pdf` is the (href, fill map href) of the blank PDF that "Download PDF"
    fills in; every href is relative to the page that shows the form."""
    esc = html.escape
    lines = [
        f'<form class="mlsd-canvas" data-canvas-name="{esc(definition["name"])}" '
        f'data-canvas-version="{definition["version"]}" '
        f'data-canvas-title="{esc(definition["title"])}" autocomplete="off">',
        '<fieldset class="mlsd-canvas__header">',
        "<legend>Project</legend>",
    ]
    for field in definition["header"]:
        lines.append(
            f'<label>{esc(field["label"])} <input type="text" name="header.{field["id"]}"></label>'
        )
    lines += ["</fieldset>", '<div class="mlsd-canvas__grid">']
    for number, section in enumerate(definition["sections"], start=1):
        lines += render_section(number, section, chapters.get(section["id"]))
    lines += [
        "</div>",
        '<div class="mlsd-canvas__actions">',
        '<button type="button" data-action="export-json">Export JSON</button>',
        '<button type="button" data-action="export-markdown">Export Markdown</button>',
        f'<button type="button" data-action="export-pdf" data-pdf="{esc(pdf[0])}" '
        f'data-fill-map="{esc(pdf[1])}">Download PDF</button>',
        '<label class="md-button">Import JSON <input type="file" '
        'accept=".json,application/json" data-action="import-json" hidden></label>',
        '<button type="button" data-action="print">Print</button>',
        '<button type="button" data-action="clear">Clear</button>',
        "</div>",
        '<p class="mlsd-canvas__status" role="status" aria-live="polite"></p>',
        "</form>",
    ]
    return "\n".join(lines)


def render_section(number: int, section: dict, chapter: tuple[str, str] | None) -> list[str]:
    esc, sid = html.escape, section["id"]
    questions = "".join(f"<li>{esc(q)}</li>" for q in section["questions"])
    read = f' <a href="{esc(chapter[0])}">Read: {esc(chapter[1])}</a>' if chapter else ""
    return [
        f'<section class="mlsd-canvas__section" data-section="{sid}">',
        f'<h3 id="canvas-{sid}">{number}. {esc(section["title"])}</h3>',
        f'<ul class="mlsd-canvas__questions">{questions}</ul>',
        f'<p class="mlsd-canvas__hint">{esc(section["hint"])}{read}</p>',
        f'<textarea name="sections.{sid}" aria-labelledby="canvas-{sid}" rows="6"></textarea>',
        "</section>",
    ]


def fill_map_uri(pdf_uri: str) -> str:
    """canvas/x.pdf -> canvas/x.fields.json: the fill map sits next to its PDF."""
    return pdf_uri.removesuffix(".pdf") + ".fields.json"


def serialise(value: PdfObject, where: str) -> str:
    """A PDF object as pypdf writes it; pypdf escapes every byte outside printable ASCII in
    strings, so the text is ASCII, and the browser may count its characters as bytes."""
    buffer = io.BytesIO()
    value.write_to_stream(buffer)
    text = buffer.getvalue().decode("latin-1")
    if not text.isascii():
        raise CanvasHookError(
            f"{where}: serialises to non-ASCII bytes, which the fill map cannot hold"
        )
    return text


def without(dictionary: DictionaryObject, *keys: str) -> DictionaryObject:
    return DictionaryObject({k: v for k, v in dictionary.items() if k not in keys})


def fill_map(pdf: bytes, definition: dict, where: str) -> dict:
    """What docs/assets/canvas-pdf.js needs to fill in this exact PDF, `where`, by appending an
    incremental update (PDF 1.7, section 7.5.6) rather than rewriting the file: the original
    cross-reference table's offset and the trailer, to chain the update to them; the AcroForm
    dictionary, to add /NeedAppearances; and, by field id, each field's object number and
    dictionary. The browser appends entries to these dictionaries, so the ones it adds are
    removed here: /V and /AP from fields (a filled field drops its blank appearance, and the
    viewer draws the value), /NeedAppearances from the AcroForm and /Prev from the trailer.

    The update is a classic cross-reference section, which may only follow a classic table, so
    a PDF with a cross-reference stream, or with fields the browser cannot address as objects
    of their own, stops the build here rather than giving readers broken files."""
    reader = PdfReader(io.BytesIO(pdf))
    end = STARTXREF.search(pdf[-1024:])
    startxref = int(end["offset"]) if end else -1
    if pdf[startxref : startxref + 4] != b"xref" or "/XRefStm" in reader.trailer:
        raise CanvasHookError(
            f"{where}: its cross-reference is not a classic table, so the browser cannot "
            "append to it"
        )
    catalog = reader.trailer["/Root"].get_object()
    acroform = catalog.raw_get("/AcroForm") if "/AcroForm" in catalog else None
    if not isinstance(acroform, IndirectObject):
        raise CanvasHookError(f"{where}: the AcroForm dictionary is not an object of its own")
    fields = {}
    for ref in acroform.get_object()["/Fields"]:
        field = ref.get_object()
        if not isinstance(ref, IndirectObject) or "/Kids" in field:
            raise CanvasHookError(f"{where}: field {field.get('/T')!r} is not a single object")
        fields[field["/T"]] = {
            "object": ref.idnum,
            "generation": ref.generation,
            "dictionary": serialise(without(field, "/V", "/AP"), f"{where}: field {field['/T']}"),
        }
    ids = [item["id"] for item in (*definition["header"], *definition["sections"])]
    if sorted(fields) != sorted(ids):
        raise CanvasHookError(
            f"{where}: its fields ({', '.join(fields)}) are not the canvas ids ({', '.join(ids)})"
        )
    return {
        "length": len(pdf),
        "startxref": startxref,
        "trailer": serialise(without(reader.trailer, "/Prev"), f"{where}: trailer"),
        "acroform": {
            "object": acroform.idnum,
            "generation": acroform.generation,
            "dictionary": serialise(
                without(acroform.get_object(), "/NeedAppearances"), f"{where}: AcroForm"
            ),
        },
        "fields": {field_id: fields[field_id] for field_id in ids},
    }


def page_title(file: File) -> str:
    """A page's title as the navigation shows it, else its first heading, else its name."""
    if file.page is not None and file.page.title:
        return file.page.title
    heading = re.search(r"^#\s+(.+?)\s*#*\s*$", file.content_string, re.MULTILINE)
    return heading.group(1) if heading else file.name.replace("-", " ").capitalize()


def chapter_links(definition: dict, files: Files, page_file: File) -> dict[str, tuple[str, str]]:
    links = {}
    for section in definition["sections"]:
        if section.get("chapter"):
            path, anchor = chapter_target(section["chapter"])
            target = files.get_file_from_path(path)
            href = target.url_relative_to(page_file) + (f"#{anchor}" if anchor else "")
            links[section["id"]] = (href, page_title(target))
    return links


# --- MkDocs entry points --------------------------------------------------------------------

_state: dict = {}  # definition and its path, set by on_files for the page and env events


def on_files(files: Files, config) -> Files:
    started = time.perf_counter()
    path = Path(config.docs_dir) / "canvas" / "canvas.yml"
    where = tool.shown(path)
    try:
        definition = tool.load_definition(path)
    except tool.CanvasError as error:
        raise CanvasHookError(str(error)) from None
    check_chapter_pages(definition, files, where)
    _state.update(definition=definition, where=where)
    for size, uri in BLANK_PDFS.items():
        pdf = tool.build_pdf(definition, size=size)
        add(files, config, uri, pdf)
        fields = fill_map(pdf, definition, uri)
        add(files, config, fill_map_uri(uri), json.dumps(fields, indent=1).encode() + b"\n")
    add(files, config, TEMPLATE, tool.to_markdown(definition).encode())
    filled = 0
    for file in list(files):
        match = CASE_STUDY.match(file.src_uri)
        if match:
            try:
                values = tool.read_values(file.abs_src_path, definition)
            except tool.CanvasError as error:
                raise CanvasHookError(str(error)) from None
            pdf = tool.build_pdf(definition, values)
            add(files, config, f"case-studies/{match['name']}.pdf", pdf)
            filled += 1
    log.info(
        "canvas: %d blank PDFs with fill maps, the Markdown template and %d filled case-study "
        "PDFs (%.2f s)",
        len(BLANK_PDFS),
        filled,
        time.perf_counter() - started,
    )
    return files


def add(files: Files, config, uri: str, content: bytes) -> None:
    if files.get_file_from_path(uri) is not None:
        raise CanvasHookError(
            f"docs/{uri} exists, but the build generates it from canvas.yml and the case-study "
            "canvases: delete it from docs/"
        )
    files.append(DownloadFile.generated(config, uri, content=content))


def check_chapter_pages(definition: dict, files: Files, where: str) -> None:
    for number, section in enumerate(definition["sections"], start=1):
        if not section.get("chapter"):
            continue
        path, _ = chapter_target(section["chapter"])
        target = files.get_file_from_path(path)
        if target is None or not target.is_documentation_page():
            raise CanvasHookError(
                f"{where}: section {number} ({section['id']}): chapter {section['chapter']!r} "
                f"names a page that does not exist: docs/{path}"
            )


def on_page_markdown(markdown: str, page, config, files) -> str:
    numbers = find_shortcodes(markdown, page.file.src_uri)
    if not numbers:
        return markdown
    definition = _state["definition"]
    pdf = files.get_file_from_path(BLANK_PDFS[FILLED_PDF_SIZE])
    fields = files.get_file_from_path(fill_map_uri(BLANK_PDFS[FILLED_PDF_SIZE]))
    hrefs = (pdf.url_relative_to(page.file), fields.url_relative_to(page.file))
    form = render_form(definition, chapter_links(definition, files, page.file), hrefs)
    lines = markdown.splitlines()
    for number in numbers:
        lines[number - 1] = f"\n{form}\n"
    return "\n".join(lines) + "\n"


def on_env(env, config, files):
    """Every page is rendered by now: check that each chapter anchor is a heading there."""
    definition, where = _state["definition"], _state["where"]
    for number, section in enumerate(definition["sections"], start=1):
        path, anchor = chapter_target(section.get("chapter") or "")
        if not anchor:
            continue
        page = files.get_file_from_path(path).page
        anchors = page.present_anchor_ids if page is not None else None
        if anchors is not None and anchor not in anchors:
            raise CanvasHookError(
                f"{where}: section {number} ({section['id']}): chapter {section['chapter']!r}: "
                f"docs/{path} has no heading with the id '{anchor}'"
            )
    return env
