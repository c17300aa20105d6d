#!/usr/bin/env python
"""Command-line entry point for the example project (run it from inside ``example/``)."""

import os
import sys
from pathlib import Path


def main() -> None:
    # Let the demo find the library in this checkout even when it is not pip-installed;
    # appended, so an installed copy (e.g. `pip install -e .`) still takes precedence.
    sys.path.append(str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
