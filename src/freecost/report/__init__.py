"""Reports: the scorecard, the history and the results, rendered for an owner and a client.

:mod:`freecost.report.data` builds one document; each renderer (HTML, Markdown, the public
status page) reads only that document.
"""
