"""Today: the in-charge's landing page (what is due, promised, unsent, unacknowledged and
undelivered in their scope) and the reminders that carry it by e-mail (daily and weekly digests).

`queries.py` reads the sections, `views.py` serves the page and the navigation badge,
`digests.py` composes and sends the digests, `cli.py` the `digests` command, `models.py` the
log of digests sent, `when.py` the relative wording of dates.
"""
