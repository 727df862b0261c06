"""Hostile lists: how long and how much memory reading each class of hostile file costs.

    python -m tests.bench.bench_hostile [--gigabytes 2]

Each class is built inside the project's own template (``tests/documents/hostile.py``, the same
builders the tests use) by one process, then read by a fresh one the way intake reads it:
``read_upload_file`` with the upload cap, then ``read_nomination_list`` with the collector held.
This process only starts them, so it stays small: Linux starts a child's ru_maxrss at its
parent's peak. The table gives the file's size, the seconds from the first byte read to the
answer, the reading process's peak RSS (ru_maxrss, imports included; after the imports alone it
was the baseline in brackets) and the answer. The target: any file up to the upload cap
answered in <= 5 s and <= 300 MB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from tests.bench import common

TODAY = date(2019, 3, 1)


def parse_in_this_process(path: Path) -> dict[str, Any]:
    """Read one file as intake does; what it cost and what the answer was."""
    from documents.nomination_list import (
        ListLimits,
        SubmissionRejected,
        read_nomination_list,
        read_upload_file,
    )
    from flows.collector import collector_paused
    from models.settings import get_settings
    from tests.documents.builders import AWARDS

    limits = ListLimits.from_settings(get_settings())
    baseline = common.peak_rss_mb()
    timer = common.Timer()
    try:
        with collector_paused():
            data = read_upload_file(path, limits.max_file_bytes)
            parsed = read_nomination_list(data, AWARDS, today=TODAY, limits=limits)
        answer = f"accepted ({len(parsed.nominations):,} rows)"
    except SubmissionRejected as refused:
        codes = list(dict.fromkeys(str(error.code) for error in refused.errors))
        shown = ", ".join(codes[:3]) + (", …" if len(codes) > 3 else "")
        answer = f"refused: {shown}"
        if refused.total_errors > 1:
            answer += f" ({refused.total_errors:,} errors, {len(refused.errors)} listed)"
    seconds = timer()
    return {"seconds": seconds, "peak_rss_mb": common.peak_rss_mb(), "baseline_mb": baseline,
            "answer": answer}  # fmt: skip


def _valid_list(template: Path, target: Path) -> Path:
    """A realistic 10,000-row list (8,000 people, 2,000 collectives), as bench_intake builds."""
    from documents.nomination_list import write_filled_list
    from tests.bench.bench_intake import rows_for
    from tests.documents.builders import AWARDS, HEADER

    return write_filled_list(target, HEADER, AWARDS, rows_for(10_000, HEADER.unit_name))


def _long_summaries(template: Path, target: Path) -> Path:
    """The same 10,000 rows, each summary ~4,500 characters of varied words: ~16 MB, close to
    the upload cap, the most text a list can bring."""
    import random

    from documents.nomination_list import write_filled_list
    from tests.bench.bench_intake import rows_for
    from tests.documents.builders import AWARDS, HEADER

    rnd = random.Random(5)
    words = [f"tu{number}" for number in range(3_000)]
    rows = [
        row.model_copy(
            update={"achievement_summary": " ".join(rnd.choice(words) for _ in range(700))}
        )
        for row in rows_for(10_000, HEADER.unit_name)
    ]
    return write_filled_list(target, HEADER, AWARDS, rows)


def classes(gigabytes: float) -> list[tuple[str, Callable[[Path, Path], Path]]]:
    from tests.documents import hostile

    def wrong(kind: str) -> Callable[[Path, Path], Path]:
        def build(template: Path, target: Path) -> Path:
            target.write_bytes(hostile.WRONG_TYPES[kind])
            return target

        return build

    return [
        ("valid list, 10,000 rows", _valid_list),
        ("valid list, 10,000 rows of ~4,500-character summaries", _long_summaries),
        (
            f"inflated XML ({gigabytes:g} GB of whitespace in a sheet)",
            lambda t, p: hostile.inflated_xml(t, p, gigabytes),
        ),
        ("blank-row flood, 4,000,000 rows declared", hostile.blank_row_flood),
        (
            "blank-row flood, 4,000,000 rows, no <dimension>",
            lambda t, p: hostile.blank_row_flood(t, p, dimension=False),
        ),
        (
            "blank-row flood, 120,000 rows, no <dimension>",
            lambda t, p: hostile.blank_row_flood(t, p, 120_000, dimension=False),
        ),
        ("error flood, 300,000 faulty rows", hostile.error_flood),
        ("cell flood, 1,500,000 cells past the columns", hostile.cell_flood),
        ("merge flood, 2,000,000 merged ranges", hostile.merge_flood),
        ("styles, 45,000 extra formats", lambda t, p: hostile.styles_bomb(t, p, 45_000)),
        ("styles, 100,000 extra formats", hostile.styles_bomb),
        ("300 extra parts", hostile.many_parts),
        ("oversized (21 MB picture inside)", hostile.oversized),
        ("a PDF renamed .xlsx", wrong("pdf")),
        ("a PNG renamed .xlsx", wrong("png")),
        ("an .xls (OLE) renamed .xlsx", wrong("xls")),
        ("truncated zip (first half)", hostile.truncated),
    ]


def build_in_this_process(number: int, gigabytes: float, path: Path) -> str:
    """Build class ``number`` at ``path`` (the template beside it); its name."""
    from tests.documents import hostile

    template = path.with_name("mau.xlsx")
    if not template.exists():
        hostile.template(template)
    name, build = classes(gigabytes)[number]
    build(template, path)
    return name


def _run(*args: str) -> Any:
    """This module in a fresh process; its last line of output, as JSON."""
    result = subprocess.run(
        [common.PYTHON, "-m", "tests.bench.bench_hostile", *args],
        cwd=common.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--list", action="store_true", help="(internal) the classes' names")
    parser.add_argument("--build", type=int, help="(internal) build one class at --path")
    parser.add_argument("--parse", action="store_true", help="(internal) read --path")
    parser.add_argument("--path", type=Path)
    args = parser.parse_args()
    if args.list:
        print(json.dumps([name for name, _ in classes(args.gigabytes)]))
        return
    if args.build is not None:
        print(json.dumps(build_in_this_process(args.build, args.gigabytes, args.path)))
        return
    if args.parse:
        print(json.dumps(parse_in_this_process(args.path)), flush=True)
        return

    rows = []
    names = _run("--list", "--gigabytes", str(args.gigabytes))
    with common.scratch("hostile") as folder:
        for number, name in enumerate(names):
            path = folder / f"class{number}.xlsx"
            common.note(f"building: {name}")
            _run("--build", str(number), "--gigabytes", str(args.gigabytes), "--path", str(path))
            measured = _run("--parse", "--path", str(path))
            rows.append({"class": name, "bytes": path.stat().st_size, **measured})
            path.unlink()
    print("| class | file size | seconds | peak RSS (baseline) | answer |")
    print("|---|---:|---:|---:|---|")
    for row in rows:
        print(
            f"| {row['class']} | {_size(row['bytes'])} | {row['seconds']:.2f} | "
            f"{row['peak_rss_mb']:.0f} MB ({row['baseline_mb']:.0f}) | {row['answer']} |"
        )
    common.emit({"scenario": "hostile", "classes": rows, "machine": common.machine()})


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


if __name__ == "__main__":
    main()
