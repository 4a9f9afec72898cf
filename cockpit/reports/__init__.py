"""Reports for an org node and a period: the figures gathered once (`data.collect`), then laid out as a
PDF (`pdf.build`) or an Excel workbook (`excel.build`), one at a time or for every node (`batch`).
Every figure is read through `Warehouse.run` with the requesting user's scope."""
