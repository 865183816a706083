#!/usr/bin/env python3
"""Build the site in the current folder: python build.py --help"""
import gc

# No automatic collections while the program starts and a build reads its records: they would look
# through every object imported and loaded, again and again (some 40 ms of a one-story rebuild), and
# none of them is garbage. The build turns the collector back on when it has parsed (pipeline.validate);
# other commands at once (cli.main).
gc.disable()

from zhuanlan.cli import exit_now, main  # noqa: E402

if __name__ == "__main__":
    exit_now(main())
