"""Pure workbook builders: plain rows in, an .xlsx stream out; they never query.

The services gather the figures (services/reports.py, services/exports.py) and hand them over
as plain dataclasses; the builders here only lay them out. KINDS is the registry of export kinds.
"""

from tracker.exports import summary

KINDS = {"summary": summary.write}
