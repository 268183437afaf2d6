"""The two ways a verb says no, shared by every domain (it sits below all of them).

- `Refused`: the request cannot be carried out as asked; `messages` say why, for the user
  (lazy strings, translated when shown). Every domain's own error subclasses it, so a view
  needs to know one exception, not one per domain.
- `Stale`: someone changed the object after this user loaded it. Nothing was written; the
  user reloads and decides again. Never a silent overwrite.

Services raise them and change nothing when they do; `caseflow.web.commit` maps them to the
response (the form again with its messages, or the 409 "reload" page).
"""


class Refused(ValueError):
    """Not allowed now, or the data is incomplete; `messages` are for the user."""

    def __init__(self, *messages):
        if len(messages) == 1 and isinstance(messages[0], list | tuple):
            messages = tuple(messages[0])
        super().__init__("; ".join(str(m) for m in messages))
        self.messages = list(messages)


class Stale(Exception):
    """The object changed since the user loaded it; nothing was written."""
