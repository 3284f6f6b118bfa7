"""The city's inspection server: the offices' verified logbooks in PostgreSQL and a web
dashboard for supervisors (docs/server.md). A Django application."""
