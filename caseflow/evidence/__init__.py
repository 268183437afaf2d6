"""Evidence files: photos and PDFs attached to a case, optionally to one of its events (a
follow-up, a delivery; checklist items later), stored by content hash beside the letters and
served only inside the viewer's scope.

The package sits below `cases`: it knows a case only by its id and place in the area tree
(copied onto each row, as letters do), so the case pages can call it without an import cycle.
"""
