"""The benchmark's scratch databases on the PostgreSQL it is pointed at."""

import os

POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")


def scratch_postgres(name):
    """An empty database `name` on BENCH_POSTGRES (made anew), as a URL; None, saying so,
    when PostgreSQL does not answer: the benchmark then measures SQLite alone."""
    import psycopg

    try:
        with psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL not reachable at {POSTGRES}: {exc}; measuring SQLite only.")
        return None
    return POSTGRES.rsplit("/", 1)[0] + f"/{name}"
