"""Users, roles, login, sessions and the login back-off."""
