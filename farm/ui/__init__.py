"""``farm ui``: a read-only results explorer in the browser (optional extra ``ui``: Flask).

:func:`farm.ui.app.create_app` builds the WSGI app over an engine; the pages render rows
from the report queries (:mod:`farm.report.explore`, :mod:`farm.report.cases`,
:mod:`farm.report.queries`, :mod:`farm.report.compare`) and the leaderboard's column
registry (:mod:`farm.report.columns`). Nothing here imports Flask until the app is built.
"""
