"""The Excel face (ARCHITECTURE.md "The Excel face"): glue between an open workbook and the core.

`layout` declares the live workbook (sheets, input cells, buttons) once; `build` writes
workbook/insurance.xlsm from it; `book` reads registers from an open xlwings Book and writes tables
back; `macros` holds what the buttons run; `udfs` the worksheet functions.
"""
