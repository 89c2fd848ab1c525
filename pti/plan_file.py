"""The file an import's analysis writes its decisions to, for the confirmation to apply without
analysing again (pti.runs keeps it as `TaskRun.plan`): a gzip of JSON lines, written and read
one line at a time so that neither step holds the whole plan in memory."""

import gzip
import json


class PlanFile:
    """A plan over `stream`, a seekable binary file. Subclasses say what its lines hold."""

    def __init__(self, stream):
        self.stream = stream

    def writer(self):
        """A binary file to write the lines to (each ends with a newline: `dump_line`)."""
        return gzip.GzipFile(fileobj=self.stream, mode="wb", compresslevel=1)

    def _lines(self):
        """The lines, read from the start, as bytes."""
        self.stream.seek(0)
        return gzip.GzipFile(fileobj=self.stream, mode="rb")


def dump_line(value):
    """`value` (JSON values) as one compact line of a plan, in bytes."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
