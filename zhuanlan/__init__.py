"""zhuanlan (专栏): a static-site generator for Party-building brand showcases and columns."""

# Bumped whenever parsing or rendering changes in a way that invalidates cached results. Caches are
# keyed by this and a digest of the package's code (stamps.engine_key), so a forgotten bump costs
# nothing but a note; the number still says which data format a cache holds.
ENGINE_VERSION = "11"
