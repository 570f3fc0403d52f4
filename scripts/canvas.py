"""The ML System Design Canvas: one definition, docs/canvas/canvas.yml, and every form made from it.

Usage, from the repository root inside .venv:

    python scripts/canvas.py blank -o canvas.pdf [--size A3|A4|Letter]
    python scripts/canvas.py fill my-canvas.json -o my-canvas.pdf [--size A3|A4|Letter]
    python scripts/canvas.py markdown [my-canvas.json] -o canvas.md

`blank` writes the fillable PDF: one landscape page, a form field per section and per header
line. `fill` takes the JSON that the browser canvas exports ("Export JSON") and writes the same
PDF with the answers in its fields, so it stays editable in any PDF reader. `markdown` writes the
Markdown template, filled in when given a JSON file. `-o -` writes to standard output;
`--definition FILE` (before the command) uses another canvas definition.

The MkDocs hook scripts/hooks/canvas.py uses the same functions to publish the blank PDFs, the
Markdown template and a filled PDF for every case study at each build.

A malformed or foreign JSON file, an unknown section or a missing file prints one line,
"error: ...", and exits with status 2.

About characters: the PDF uses Helvetica, one of the standard PDF fonts, so nothing is embedded
and the files stay small. Those fonts cover Western European text only (PDFDocEncoding: Latin-1
plus dashes, curly quotes, the bullet, the euro sign and a few more). A field always stores
exactly what was typed, in Unicode, and a PDF reader edits that exact text. Only the text the
PDF draws for a filled field (its "appearance": what shows on screen until the field is
clicked, and what prints) is limited: there an arrow or comparison sign is spelled out ("->",
">="), a letter outside the set loses its accent ("ő" shows as "o"), and anything else shows as
"?". Every field carries such an appearance, wrapped to the box and shrunk (down to 5 pt) until
it fits, so no viewer has to draw the fields itself.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A3, A4, landscape, letter
from reportlab.pdfbase.pdfdoc import pdfdocEnc
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

ROOT = Path(__file__).resolve().parent.parent
DEFINITION = ROOT / "docs" / "canvas" / "canvas.yml"
ID = re.compile(r"^[a-z][a-z0-9-]*$")
CHAPTER = re.compile(r"^[\w./-]+\.md(#[\w-]+)?$")
TOP_KEYS = {"name", "title", "version", "header", "sections"}
HEADER_KEYS = {"id", "label"}
SECTION_KEYS = {"id", "title", "questions", "hint", "chapter"}
VALUE_KEYS = {"canvas", "version", "header", "sections"}


class CanvasError(Exception):
    """A definition, a values file or a layout is wrong; the message says where and why."""


def shown(path: str | Path) -> str:
    """A path as a reader should see it in a message: relative to the working folder if inside."""
    path = Path(path)
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


# --- the definition ---------------------------------------------------------------------------


def load_definition(path: str | Path = DEFINITION) -> dict:
    """Read and check canvas.yml; any problem raises CanvasError naming the file and the place."""
    where = shown(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CanvasError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CanvasError(f"{where}: cannot read: {error}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise CanvasError(f"{where}: not valid YAML: {problem}{at}") from None
    check_definition(data, where)
    return data


def check_keys(item, required: set[str], allowed: set[str], where: str) -> None:
    if not isinstance(item, dict):
        raise CanvasError(f"{where}: expected a mapping, found {json_type(item)}")
    missing = sorted(required - item.keys())
    if missing:
        raise CanvasError(f"{where}: missing {', '.join(repr(k) for k in missing)}")
    unknown = sorted(item.keys() - allowed, key=str)
    if unknown:
        known = ", ".join(sorted(allowed))
        raise CanvasError(f"{where}: unknown key {unknown[0]!r} (allowed: {known})")


def check_text(value, what: str, where: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise CanvasError(f"{where}: {what} must be a non-empty string")


def check_definition(data, where: str) -> None:
    check_keys(data, TOP_KEYS, TOP_KEYS, where)
    check_text(data["name"], "'name'", where)
    check_text(data["title"], "'title'", where)
    if type(data["version"]) is not int or data["version"] < 1:
        raise CanvasError(f"{where}: 'version' must be a whole number from 1")
    seen: set[str] = set()
    for part, noun in (("header", "header field"), ("sections", "section")):
        items = data[part]
        if not isinstance(items, list) or not items:
            raise CanvasError(f"{where}: '{part}' must be a non-empty list")
        for number, item in enumerate(items, start=1):
            place = f"{where}: {noun} {number}"
            if not isinstance(item, dict):
                raise CanvasError(f"{place}: expected a mapping, found {json_type(item)}")
            check_id(item.get("id"), place, seen)
            place = f"{place} ({item['id']})"
            if part == "header":
                check_keys(item, HEADER_KEYS, HEADER_KEYS, place)
                check_text(item["label"], "'label'", place)
            else:
                check_section(item, place)


def check_id(value, place: str, seen: set[str]) -> None:
    if not isinstance(value, str) or not ID.match(value):
        raise CanvasError(f"{place}: 'id' must match [a-z][a-z0-9-]*, found {value!r}")
    if value in seen:
        raise CanvasError(f"{place}: duplicate id {value!r} (ids name PDF fields and JSON keys)")
    seen.add(value)


def check_section(section: dict, place: str) -> None:
    check_keys(section, SECTION_KEYS - {"chapter"}, SECTION_KEYS, place)
    check_text(section["title"], "'title'", place)
    check_text(section["hint"], "'hint'", place)
    questions = section["questions"]
    if not isinstance(questions, list) or not questions:
        raise CanvasError(f"{place}: 'questions' must be a non-empty list")
    for number, question in enumerate(questions, start=1):
        check_text(question, f"question {number}", place)
    chapter = section.get("chapter")
    if chapter is not None and (not isinstance(chapter, str) or not CHAPTER.match(chapter)):
        raise CanvasError(
            f"{place}: 'chapter' must be a page such as model-development.md#anchor, "
            f"found {chapter!r}"
        )


def json_type(value) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    for kind, name in ((dict, "an object"), (list, "a list"), (str, "a string")):
        if isinstance(value, kind):
            return name
    return "a number" if isinstance(value, int | float) else type(value).__name__


# --- values: the JSON the browser exports -----------------------------------------------------


def empty_values(definition: dict) -> dict:
    return {
        "header": {field["id"]: "" for field in definition["header"]},
        "sections": {section["id"]: "" for section in definition["sections"]},
    }


def validate_values(definition: dict, data, source: str) -> dict:
    """Check an exported canvas against the definition; return every field, empty when absent."""
    if not isinstance(data, dict):
        raise CanvasError(f"{source}: expected a JSON object, found {json_type(data)}")
    name, version = definition["name"], definition["version"]
    if data.get("canvas") != name:
        found = json.dumps(data["canvas"]) if "canvas" in data else "missing"
        raise CanvasError(
            f'{source}: not an ML canvas file: "canvas" is {found}, expected "{name}"'
        )
    found = data.get("version")
    if type(found) is not int or found != version:
        raise CanvasError(
            f"{source}: canvas version {json.dumps(found)} is not supported, expected {version}"
        )
    unknown = sorted(data.keys() - VALUE_KEYS)
    if unknown:
        allowed = ", ".join(sorted(VALUE_KEYS))
        raise CanvasError(f"{source}: unknown key {unknown[0]!r} (allowed: {allowed})")
    values = empty_values(definition)
    for part, noun in (("header", "header field"), ("sections", "section")):
        given = data.get(part, {})
        if not isinstance(given, dict):
            raise CanvasError(
                f"{source}: {part!r} must be an object mapping ids to text, found "
                f"{json_type(given)}"
            )
        for key, text in given.items():
            if key not in values[part]:
                known = ", ".join(values[part])
                raise CanvasError(f"{source}: unknown {noun} {key!r} (known: {known})")
            if not isinstance(text, str):
                raise CanvasError(
                    f"{source}: {part}.{key} must be a string, found {json_type(text)}"
                )
            values[part][key] = text.replace("\r\n", "\n").replace("\r", "\n")
    return values


def read_values(path: str | Path, definition: dict | None = None) -> dict:
    """Read and validate an exported canvas (JSON); every problem is a CanvasError naming it."""
    definition = definition or load_definition()
    where = shown(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CanvasError(f"{where}: no such file") from None
    except UnicodeDecodeError:
        raise CanvasError(f"{where}: not UTF-8 text, so not a canvas export") from None
    except OSError as error:
        raise CanvasError(f"{where}: cannot read: {error.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CanvasError(
            f"{where}: not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    return validate_values(definition, data, where)


# --- Markdown ---------------------------------------------------------------------------------


def to_markdown(definition: dict, values: dict | None = None) -> str:
    """The Markdown template; docs/assets/canvas.js must produce the same bytes."""
    values = values or {"header": {}, "sections": {}}
    lines = [f"# {definition['title']}", ""]
    for field in definition["header"]:
        value = values["header"].get(field["id"], "").strip()
        lines.append(f"- **{field['label']}:** {value}".rstrip())
    lines.append("")
    for n, section in enumerate(definition["sections"], start=1):
        lines += [f"## {n}. {section['title']}", ""]
        lines += [f"> {q}" for q in section["questions"]]
        lines.append("")
        value = values["sections"].get(section["id"], "").strip()
        if value:
            lines += [value, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# --- PDF: text the standard fonts can draw ----------------------------------------------------

FONT, BOLD, ITALIC = "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"
SPELLED_OUT = {"→": "->", "←": "<-", "↔": "<->", "⇒": "=>", "≤": "<=", "≥": ">=", "≠": "!="}
SPACES = {"\t": " ", "\u00a0": " ", "\u202f": " ", "\u00ad": ""}  # tab, no-break, soft hyphen


def drawable(char: str) -> bool:
    """Whether Helvetica, with the form's PDFDocEncoding, has a glyph for this character."""
    try:
        code = pdfdocEnc(char)[0]
    except (UnicodeEncodeError, ValueError):
        return False
    return char not in SPACES and code >= 0x18 and code not in (0x7F, 0x9F)


def printable(text: str) -> str:
    """The text an appearance can draw: substitutes for characters the font lacks."""
    out = []
    for char in text:
        if char == "\n" or drawable(char):
            out.append(char)
        elif char in SPACES or char in SPELLED_OUT:
            out.append(SPACES.get(char, SPELLED_OUT.get(char)))
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if drawable(c))
            out.append(base or "?")
    return "".join(out)


def pdfdoc_string(text: str) -> str:
    """Printable text as the one-byte codes reportlab writes into the appearance stream."""
    return pdfdocEnc(text).decode("latin-1")


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a word wider than the line is broken between characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if stringWidth(candidate, font, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for char in word:
                if line and stringWidth(line + char, font, size) > width:
                    lines.append(line)
                    line = ""
                line += char
        lines.append(line)
    return lines


# --- PDF: layout --------------------------------------------------------------------------------

PAGE_SIZES = {"A3": landscape(A3), "A4": landscape(A4), "Letter": landscape(letter)}
LEADING = 1.2
BORDER = 1  # field border width, points
MIN_FIELD_LINES = 5  # a section must leave room for this many lines of typed text
SMALLEST_FIT = 5  # filled text shrinks down to this size (points) to fit its field


@dataclass(frozen=True)
class Style:
    """Type sizes and spacing, in points, for one paper size."""

    margin: float
    gap: float
    padding: float
    title: float
    label: float
    heading: float
    question: float
    hint: float
    field: int  # typed text; whole points because a field's /DA stores an integer
    header_field: int
    min_header_width: float


STYLES = {
    "A3": Style(28, 8, 6, 20, 7, 10, 7.5, 7, 9, 10, 100),
    "A4": Style(18, 5, 4, 13, 6, 7.5, 6, 6, 7, 8, 70),
}
STYLES["Letter"] = STYLES["A4"]


@dataclass(frozen=True)
class Box:
    x: float
    y: float  # bottom edge, PDF coordinates
    w: float
    h: float


@dataclass(frozen=True)
class Text:
    """Lines of one font and size; `y` is the first baseline, later lines go down by leading."""

    lines: tuple[str, ...]
    x: float
    y: float
    font: str
    size: float
    gray: float


@dataclass(frozen=True)
class Field:
    name: str
    tooltip: str
    box: Box
    multiline: bool
    size: int


@dataclass(frozen=True)
class Layout:
    size: str
    page: tuple[float, float]
    texts: tuple[Text, ...]
    cells: tuple[Box, ...]
    fields: tuple[Field, ...]


def grid_shape(count: int, width: float, height: float) -> tuple[int, int]:
    """Columns and rows for `count` cells whose shape is close to the page's."""
    columns = max(1, min(count, round(math.sqrt(count * width / height))))
    return columns, math.ceil(count / columns)


def text_block(lines: list[str], x: float, top: float, font: str, size: float, gray=0.0):
    """A Text whose first line's cap height starts at `top`, and the y below its last line."""
    block = Text(tuple(lines), x, top - size, font, size, gray)
    return block, top - len(lines) * size * LEADING


def layout(definition: dict, size: str = "A3") -> Layout:
    """Where every piece of text, cell and form field goes on one landscape page."""
    if size not in PAGE_SIZES:
        raise CanvasError(f"unknown paper size {size!r} (known: {', '.join(PAGE_SIZES)})")
    style, (width, height) = STYLES[size], PAGE_SIZES[size]
    texts, fields, top = layout_header(definition, style, width, height)
    sections = definition["sections"]
    columns, rows = grid_shape(len(sections), width, height)
    cell_w = (width - 2 * style.margin - (columns - 1) * style.gap) / columns
    cell_h = (top - style.margin - (rows - 1) * style.gap) / rows
    cells = []
    for index, section in enumerate(sections):
        row, column = divmod(index, columns)
        x = style.margin + column * (cell_w + style.gap)
        y = top - (row + 1) * cell_h - row * style.gap
        cells.append(Box(x, y, cell_w, cell_h))
        cell_texts, field = layout_cell(section, index + 1, cells[-1], style, size)
        texts += cell_texts
        fields.append(field)
    return Layout(size, (width, height), tuple(texts), tuple(cells), tuple(fields))


def layout_header(definition: dict, style: Style, width: float, height: float):
    """Title at the top left, the header fields to its right (or below it when there is no
    room); returns the texts, the fields and the y where the section grid may start."""
    top = height - style.margin
    title_width = stringWidth(definition["title"], BOLD, style.title)
    header = definition["header"]
    field_h = style.header_field * LEADING + 4 * BORDER
    band = style.label * LEADING + field_h
    left = style.margin + title_width + 3 * style.gap
    field_w = (width - style.margin - left - (len(header) - 1) * style.gap) / len(header)
    title_y = top - (band + style.title * 0.7) / 2
    if field_w < style.min_header_width:  # not enough room beside the title: a row of its own
        left = style.margin
        field_w = (width - 2 * style.margin - (len(header) - 1) * style.gap) / len(header)
        title_y = top - style.title
        top -= style.title * LEADING + style.gap
    texts = [Text((definition["title"],), style.margin, title_y, BOLD, style.title, 0.1)]
    fields = []
    for n, item in enumerate(header):
        x = left + n * (field_w + style.gap)
        texts.append(text_block([item["label"]], x, top, FONT, style.label, 0.35)[0])
        box = Box(x, top - band, field_w, field_h)
        fields.append(Field(item["id"], item["label"], box, False, style.header_field))
    return texts, fields, top - band - 1.5 * style.gap


def layout_cell(section: dict, number: int, cell: Box, style: Style, size: str):
    """Heading, questions and hint from the top of a cell; the field fills the rest."""
    x, inner = cell.x + style.padding, cell.w - 2 * style.padding
    heading = wrap(f"{number}. {section['title']}", BOLD, style.heading, inner)
    block, y = text_block(heading, x, cell.y + cell.h - style.padding, BOLD, style.heading, 0.1)
    texts = [block]
    y -= style.heading * 0.3
    bullet = stringWidth("• ", FONT, style.question)
    for question in section["questions"]:
        lines = wrap(question, FONT, style.question, inner - bullet)
        texts.append(text_block(["•"], x, y, FONT, style.question, 0.3)[0])
        block, y = text_block(lines, x + bullet, y, FONT, style.question, 0.3)
        texts.append(block)
    y -= style.question * 0.3
    hint = wrap(section["hint"], ITALIC, style.hint, inner)
    block, y = text_block(hint, x, y, ITALIC, style.hint, 0.45)
    texts.append(block)
    y -= style.hint * 0.4
    box = Box(x, cell.y + style.padding, inner, y - cell.y - style.padding)
    if box.h < MIN_FIELD_LINES * style.field * LEADING + 4 * BORDER:
        raise CanvasError(
            f"section {number} ({section['id']}): its title, questions and hint leave too little "
            f"room to write on a {size} page; shorten them"
        )
    return texts, Field(section["id"], section["title"], box, True, style.field)


# --- PDF: drawing ---------------------------------------------------------------------------


def fit(value: str, field: Field) -> tuple[list[str], int]:
    """The lines to draw for a field's value, and the largest font size at which they fit."""
    text = printable(value)
    width, height = field.box.w - 8 * BORDER, field.box.h - 4 * BORDER
    if not field.multiline:
        return [text.replace("\n", " ")], field.size
    lines = []
    for size in range(field.size, SMALLEST_FIT - 1, -1):
        lines = wrap(text, FONT, size, width)
        if len(lines) * size * LEADING <= height:
            return lines, size
    return lines, SMALLEST_FIT  # printed, the end is cut off; on screen the field scrolls


class FormWriter:
    """Adds text fields with reportlab's AcroForm, but draws each field's appearance from
    wrapped, printable text: reportlab would draw the value unwrapped and fail on characters
    the standard fonts lack. The field's value itself is always the exact text."""

    def __init__(self, canvas: Canvas):
        self.form = canvas.acroForm
        self._reportlab_appearance = self.form.txAP
        self.form.txAP = self._appearance
        self._drawn = ""

    def _appearance(self, key, value, *args, **kwargs):
        return self._reportlab_appearance(key, self._drawn, *args, **kwargs)

    def add(self, field: Field, value: str) -> None:
        lines, size = fit(value, field)
        self._drawn = pdfdoc_string("\n".join(lines)) if value else ""
        box = field.box
        self.form.textfield(
            name=field.name,
            tooltip=field.tooltip,
            value=value,
            x=box.x,
            y=box.y,
            width=box.w,
            height=box.h,
            fieldFlags="multiline" if field.multiline else "",
            maxlen=0,  # no length limit
            fontName=FONT,
            fontSize=size,
            textColor=Color(0, 0, 0),
            fillColor=Color(1, 1, 1),
            borderColor=Color(0.45, 0.45, 0.45),
            borderWidth=BORDER,
            forceBorder=True,  # also in the page itself, so the box prints from any viewer
        )


def build_pdf(definition: dict, values: dict | None = None, size: str = "A3") -> bytes:
    """One landscape page with a fillable field per section and header line; the same input
    always gives the same bytes."""
    plan = layout(definition, size)
    values = values or empty_values(definition)
    given = {**values.get("header", {}), **values.get("sections", {})}
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=plan.page, invariant=1, pageCompression=1)
    canvas.setTitle(definition["title"])
    canvas.setSubject(f"{definition['name']} version {definition['version']}")
    for cell in plan.cells:
        canvas.setStrokeColor(Color(0.75, 0.75, 0.75))
        canvas.setLineWidth(0.6)
        canvas.rect(cell.x, cell.y, cell.w, cell.h)
    for text in plan.texts:
        canvas.setFillColor(Color(text.gray, text.gray, text.gray))
        canvas.setFont(text.font, text.size)
        for n, line in enumerate(text.lines):
            canvas.drawString(text.x, text.y - n * text.size * LEADING, line)
    writer = FormWriter(canvas)
    for field in plan.fields:
        writer.add(field, given.get(field.name, ""))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- command line -----------------------------------------------------------------------------


def write_output(target: str, data: bytes) -> None:
    if target == "-":
        sys.stdout.buffer.write(data)
        return
    try:
        Path(target).write_bytes(data)
    except OSError as error:
        raise CanvasError(f"{target}: cannot write: {error.strerror}") from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/canvas.py",
        description="Make the ML System Design Canvas as a fillable PDF or Markdown.",
    )
    parser.add_argument("--definition", default=DEFINITION, help="canvas.yml to use")
    commands = parser.add_subparsers(dest="command", required=True)
    blank = commands.add_parser("blank", help="the blank, fillable PDF")
    fill = commands.add_parser("fill", help="a PDF filled from an exported canvas (JSON)")
    fill.add_argument("values", help="the JSON file from 'Export JSON'")
    markdown = commands.add_parser("markdown", help="the Markdown template, optionally filled")
    markdown.add_argument("values", nargs="?", help="the JSON file from 'Export JSON'")
    for command in (blank, fill):
        command.add_argument("--size", choices=list(PAGE_SIZES), default="A3")
    for command in (blank, fill, markdown):
        command.add_argument("-o", "--output", required=True, help="file to write, - for stdout")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        definition = load_definition(args.definition)
        values = read_values(args.values, definition) if getattr(args, "values", None) else None
        if args.command == "markdown":
            write_output(args.output, to_markdown(definition, values).encode())
        else:
            write_output(args.output, build_pdf(definition, values, args.size))
    except CanvasError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
