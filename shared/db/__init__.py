"""Storage: tables, engine, migrations and the repositories the services use."""
