"""Stage 6 — the business-case outputs of a result.

Owns :class:`~siteopt.outputs.data.ExportData` (everything the outputs show, gathered once from
the typed :class:`~siteopt.optimise.result.Result`, and the number formatting they share) and
the writers that read it as leaves: the report as tables (:mod:`~siteopt.outputs.report`)
rendered as Markdown, HTML and PDF (:mod:`~siteopt.outputs.documents`), print maps
(:mod:`~siteopt.outputs.maps`), GIS layers (:mod:`~siteopt.outputs.gis`), the Excel workbook
(:mod:`~siteopt.outputs.workbook`) and the offline web map (:mod:`~siteopt.outputs.webmap`);
:func:`~siteopt.outputs.write.write_outputs` (``siteopt.write_outputs``) writes the chosen
formats into a folder atomically. :mod:`~siteopt.outputs.summaries` holds the plain-data
summaries that the CLI prints or emits as JSON.
"""
