// Fill the official fillable PDF with pdf-lib, as agencies' web tools do, and optionally flatten it.
//
//   node fill.mjs BLANK.pdf OUT.pdf [--flatten] [--own-appearances] < values.json
//
// values.json maps field names to a string (text, choice) or a boolean (check box).
// --own-appearances: pdf-lib draws every check box anew with its default look (a ZapfDingbats-free
// vector tick, no border unless the widget asks for one) instead of keeping the form's own.
import { readFileSync, writeFileSync } from "node:fs";
import { PDFDocument, PDFCheckBox, PDFDropdown, PDFOptionList, PDFRadioGroup, PDFTextField, PDFName } from "pdf-lib";

const [blank, out, ...flags] = process.argv.slice(2);
const values = JSON.parse(readFileSync(0, "utf-8"));
const pdf = await PDFDocument.load(readFileSync(blank));
const form = pdf.getForm();
for (const [name, value] of Object.entries(values)) {
  const field = form.getField(name);
  if (field instanceof PDFCheckBox) {
    if (flags.includes("--own-appearances")) {
      for (const widget of field.acroField.getWidgets()) widget.dict.delete(PDFName.of("AP"));
    }
    value ? field.check() : field.uncheck();
  } else if (field instanceof PDFTextField) {
    field.setText(String(value));
  } else if (field instanceof PDFDropdown || field instanceof PDFOptionList) {
    if (value) field.select(String(value));
  } else if (field instanceof PDFRadioGroup) {
    if (value) field.select(String(value));
  } else {
    throw new Error(`field ${name} is of a kind this script does not fill`);
  }
}
if (flags.includes("--own-appearances")) {
  for (const field of form.getFields()) {
    if (field instanceof PDFCheckBox) field.defaultUpdateAppearances();
  }
}
if (flags.includes("--flatten")) form.flatten();
writeFileSync(out, await pdf.save({ useObjectStreams: false }));
