"""Django's PostgreSQL backend with client-side bounds (ENGINE "blog.postgresql", chosen by the
settings for every postgres:// DATABASE_URL): see base.py."""
