#!/usr/bin/env python
import os
import sys


def main():
    # Commands (migrations, imports, re-rendering) may run long statements on purpose: the
    # statement timeout is there to keep web requests short (see the README).
    os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT", "0")
    from site_config import use_default_settings

    use_default_settings()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
