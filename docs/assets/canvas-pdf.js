/* Fill the canvas PDF in the browser, for "Download PDF" on docs/canvas/.
 *
 * The blank PDF stays byte for byte as it is; the values go into an incremental update
 * appended to its end (PDF 1.7, section 7.5.6): a new version of each filled field's object,
 * a new AcroForm dictionary, a cross-reference section for exactly those objects, and a
 * trailer that points back to the original table. A PDF reader applies the update when it opens
 * the file, and the fields stay editable.
 *
 * Nothing here parses PDF. At build time scripts/hooks/canvas.py reads the blank PDF with pypdf
 * and publishes next to it a "fill map" (<name>.fields.json): the PDF's length, the offset of
 * its cross-reference table, its trailer, the AcroForm dictionary, and each field's object
 * number and dictionary, without the entries added here. Those dictionaries are ASCII, and the
 * values are written as hex, so the update is ASCII and its length in characters is its length
 * in bytes.
 *
 * Exposes window.mlsdCanvasPdf.fill(pdfBytes, fillMap, values) -> Uint8Array, used by
 * docs/assets/canvas.js.
 */
(() => {
  "use strict";

  class FillError extends Error {}

  // A PDF text string that holds any Unicode text: UTF-16BE with a byte-order mark, written in
  // hex. JavaScript strings are UTF-16 already, so each code unit is four hex digits.
  function textString(text) {
    let hex = "FEFF";
    for (let i = 0; i < text.length; i += 1) {
      hex += text.charCodeAt(i).toString(16).toUpperCase().padStart(4, "0");
    }
    return `<${hex}>`;
  }

  // A dictionary from the fill map, "<< ... >>", with entries added before its closing ">>".
  // The hook removed these keys from it, so none appears twice.
  function withEntries(dictionary, entries) {
    const end = dictionary.lastIndexOf(">>");
    if (!dictionary.startsWith("<<") || end === -1 || dictionary.slice(end + 2).trim() !== "") {
      throw new FillError("the fill map holds something that is not a PDF dictionary");
    }
    return `${dictionary.slice(0, end).trimEnd()}\n${entries.join("\n")}\n>>`;
  }

  // The cross-reference section for the new objects: one subsection per run of consecutive
  // object numbers, each entry exactly 20 bytes ("oooooooooo ggggg n" and a two-byte EOL).
  function xrefSection(objects) {
    const sorted = [...objects].sort((a, b) => a.number - b.number);
    const lines = ["xref"];
    let run = [];
    const flush = () => {
      if (!run.length) return;
      lines.push(`${run[0].number} ${run.length}`);
      for (const object of run) {
        const offset = String(object.offset).padStart(10, "0");
        const generation = String(object.generation).padStart(5, "0");
        lines.push(`${offset} ${generation} n `); // with "\n" below: the two-byte EOL " \n"
      }
      run = [];
    };
    for (const object of sorted) {
      if (run.length && object.number !== run[run.length - 1].number + 1) flush();
      run.push(object);
    }
    flush();
    return `${lines.join("\n")}\n`;
  }

  // The PDF and the map must come from the same build: a cached old PDF with a new map would
  // give a file whose offsets point nowhere.
  function checkPair(pdf, map) {
    const atXref = String.fromCharCode(...pdf.subarray(map.startxref, map.startxref + 4));
    if (pdf.length !== map.length || atXref !== "xref") {
      throw new FillError(
        `the PDF (${pdf.length} bytes) and its fill map (made for ${map.length} bytes) do not ` +
          "belong together; reload the page and try again",
      );
    }
  }

  /* The blank PDF's bytes plus an update that sets `values` ({field id: text}); empty texts
   * leave their fields as they are. Returns the new file's bytes. */
  function fill(pdf, map, values) {
    checkPair(pdf, map);
    const lastByte = pdf[pdf.length - 1];
    let update = lastByte === 0x0a || lastByte === 0x0d ? "" : "\n";
    const objects = [];
    const addObject = ({ object: number, generation }, dictionary) => {
      objects.push({ number, generation, offset: pdf.length + update.length });
      update += `${number} ${generation} obj\n${dictionary}\nendobj\n`;
    };

    for (const [id, text] of Object.entries(values)) {
      if (text === "") continue;
      const field = map.fields[id];
      if (!field) throw new FillError(`the fill map has no field "${id}"`);
      addObject(field, withEntries(field.dictionary, [`/V ${textString(text)}`]));
    }
    // The filled fields have no appearance of their own: ask the reader to draw every field.
    addObject(map.acroform, withEntries(map.acroform.dictionary, ["/NeedAppearances true"]));

    const xrefOffset = pdf.length + update.length;
    update += xrefSection(objects);
    update += `trailer\n${withEntries(map.trailer, [`/Prev ${map.startxref}`])}\n`;
    update += `startxref\n${xrefOffset}\n%%EOF\n`;

    const bytes = new TextEncoder().encode(update);
    if (bytes.length !== update.length) {
      throw new FillError("the fill map holds characters outside ASCII");
    }
    const result = new Uint8Array(pdf.length + bytes.length);
    result.set(pdf, 0);
    result.set(bytes, pdf.length);
    return result;
  }

  window.mlsdCanvasPdf = { fill, FillError };
})();
