"""Full-text search, one module per concern:

  normalization  the text a query and a story are compared in (search.js does the same)
  grams          each story's grams, made in the parse stage and kept by the parse cache
  records        result records (d/<doc>.bin); the parse stage encodes their text part
  indexformat    the index's layout and binary shard files (i1/ i2/ i4/)
  reader         a reference reader of the index, search.js's query algorithm (tests, benchmarks)

Writing the index (a clean build, or an update of the last build's files) is searchindex.py.
Nothing is imported here, so that the parse stage, which needs grams, loads neither the index
format nor the reader.

Matching is exact containment on normalised text. The index answers every query of 1–4 units
exactly with a single shard per query. A story's title and text are joined with a NUL unit and
end with one, so "ABC" at the end of a title or text is "ABC\\0". Longer queries combine the
4-unit postings of their pieces (see docs/搜索.md for the counting argument) and check the few
stories it cannot settle against their text.

Stories are numbered oldest first (by date, then source path; searchindex.doc_order):
publishing a story appends a number and leaves every other story's number, record and most
shards as they were. Ranking ties go to the higher number, which is the newer story.
"""
