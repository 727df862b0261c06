"""`tonvinh`: the operator's command line. Commands parse and check what the operator typed,
then call a service or trigger a flow; none writes a table itself."""

from cli import admin, ceremony, committee, council, processes, stages
from cli.common import app

__all__ = ["admin", "app", "ceremony", "committee", "council", "processes", "stages"]
