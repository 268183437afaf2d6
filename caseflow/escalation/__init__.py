"""The escalation sweep, addressee resolution with the bias skip, and the supervisor lists."""
