"""The audit trail pages: what happened to a case (with its letters and bias reports), a
beneficiary, a report or a letter, read from the audit chain.

Apart from caseflow.audit (the chain itself, which every service writes to), because reading a
case's trail needs the models of the domains built on cases: this package sits above them all.
"""
