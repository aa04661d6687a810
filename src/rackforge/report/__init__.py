"""``rackforge assess``: run every available analysis and write report.html, results.json and results.xlsx.

- :mod:`~rackforge.report.framework`: sections, charts, tables, the assessment context;
- :mod:`~rackforge.report.sections`: one module per analysis, registered in order in ``SECTIONS``;
- :mod:`~rackforge.report.assess`: runs the sections and builds results.json;
- :mod:`~rackforge.report.summary`: the executive summary, built only from results.json;
- :mod:`~rackforge.report.html`, :mod:`~rackforge.report.workbook`: the self-contained HTML and the workbook;
- ``results.schema.json``: the published JSON Schema of results.json.
"""
