"""zhuanlan (专栏): a static-site generator for Party-building brand showcases and columns."""

# Bumped whenever parsing or rendering changes in a way that invalidates cached results.
ENGINE_VERSION = "10"
