#!/usr/bin/env python3
"""Build the site in the current folder: python build.py --help"""
from zhuanlan.cli import exit_now, main

if __name__ == "__main__":
    exit_now(main())
