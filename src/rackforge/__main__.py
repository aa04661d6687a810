"""Allow ``python -m rackforge``."""

from rackforge.cli import main

if __name__ == "__main__":
    main()
