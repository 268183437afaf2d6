"""`make bench`: the performance budgets of DESIGN.md §6, measured against raw baselines."""
