"""How every workbook we hand out prints: A4 landscape, as wide as the page, the header row
repeated on each page (lists run to hundreds of rows and are read on paper at meetings)."""

from __future__ import annotations

from typing import Any


def print_on_a4_landscape(sheet: Any, header_row: int) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_row}:{header_row}"
