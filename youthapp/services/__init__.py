"""Plain functions per area: they take the session and the acting user and never commit."""
