"""The fictional demo district behind `flask caseflow seed-demo`.

- data.py: the tables (places, offices, schemes and ladders, holidays, logins, names, wording);
- seed.py: `seed`, `is_loaded`, `print_logins`, and the fixed part (areas to users);
- plan.py / cases.py: the case histories, planned then written through the case services;
- showcase.py: bias reports and letters sent, so every page has something on it;
- reviews.py: last quarter's quarterly reviews, one signed by both and one in progress.

`seed-demo` commits the seed, then runs the escalation sweep as of today, the same code as
`flask caseflow escalate`, so letters, stalled cases and a needs-configuration entry exist.
"""
from caseflow.demo.data import DEMO_PASSWORD, USERS
from caseflow.demo.seed import is_loaded, print_logins, seed

__all__ = ["DEMO_PASSWORD", "USERS", "is_loaded", "print_logins", "seed"]
