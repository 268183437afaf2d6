"""Administrator pages: users, the area tree, offices, schemes and ladders, holidays."""
