"""pipeline.extract.labels.regions: where a label's value is: in the cell beside it, in the row of
values under a row of labels, on the line under it, and over paragraphs for a narrative."""

from __future__ import annotations

from tests.extract.labels.conftest import docx_with, read


def test_two_column_table_and_row_of_labels_over_row_of_values(tmp_path):
    def build(doc):
        table = doc.add_table(rows=2, cols=2)
        table.cell(0, 0).text, table.cell(0, 1).text = "Home street address", "415 Sample Street"
        table.cell(1, 0).text, table.cell(1, 1).text = "Hours per week", ""
        grid = doc.add_table(rows=2, cols=3)
        for i, (label, value) in enumerate((("First name", "Jordan"), ("Last name", "Example"), ("Preferred name", ""))):
            grid.cell(0, i).text, grid.cell(1, i).text = label, value

    values = read(docx_with(tmp_path, build))
    assert values["psp_street"].value == "415 Sample Street"
    assert values["hours_per_week"].value == ""
    assert (values["psp_first_name"].value, values["psp_last_name"].value) == ("Jordan", "Example")
    assert values["psp_preferred_name"].value == ""
    assert values["psp_last_name"].location == "table 2 row 2"  # where the value stands


def test_value_on_the_line_under_its_label_and_narratives_over_paragraphs(tmp_path):
    def build(doc):
        for text in ("Date of hire as PSP", "11/16/2026", "Accessibility or dietary accommodations:",
                     "Vegetarian meals, please.", "A ground-floor room.", "Lodging needed", "No"):
            doc.add_paragraph(text)

    values = read(docx_with(tmp_path, build))
    assert values["hire_date"].value == "11/16/2026"
    assert values["accommodations"].value == "Vegetarian meals, please.\nA ground-floor room."
    assert values["lodging_needed"].value == "No"
