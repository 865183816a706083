#!/usr/bin/env python3
"""Build the site in the current folder: python build.py --help"""
import sys

from zhuanlan.cli import main

if __name__ == "__main__":
    sys.exit(main())
