"""The display layer: how every id, code and figure reads on a page, in a PDF, a workbook or a delivery.

`units` has one formatter per unit, `labels` names the bank's codes, `names` names org nodes (with their
parents where names repeat) and channels, `tables` turns a frame into what a reader sees. It sits above the
rules and guidance (it presents what they give) and below reports, charts and the shell (which lay it out).
"""
