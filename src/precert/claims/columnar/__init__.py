"""The SQLite lane of `precert claims import`: a plain CSV file decided as columns (polars).

SQLite has one writer, so a batch there is as fast as one process makes it, and Python's cost
per line is what counts. This lane reads, checks and decides a chunk of lines as columns, and
leaves Python only the values that repeat (codes, dates, diagnosis lists: each checked once,
by the reader's own checks) and the lines whose answer depends on more than one counter.

Deciding as columns is exact when a participant's lines draw on one chain of units: every line
that uses units uses those of one pre-certification in one benefit year, and no line has two
pre-certifications to choose from. The units covered up to a line are then
`min(units billed up to it, units left)` (the cap of the smaller counter), and every other line
is decided by its gates alone. Everything else goes to `batch.Recorder`, which gives the API's
answer: participants with a correction, a retry, a repeated line or a link to another
participant, and those with several pre-certifications or benefit years in play.

The lane takes only what it reads the same way as `csv`: no quotes, no blank lines, every row
as wide as the header, and every value accepted by the reader as it is (high-cardinality IDs
without surrounding spaces). Any other file, and any file with a problem (which it reports in
full), goes the general way: `import_plain` returns False before it records anything.
"""

from precert.claims.columnar.run import CHUNK, import_plain

__all__ = ["CHUNK", "import_plain"]
