"""The console's garbage-collector policy (console/gcpolicy.py), in a fresh interpreter each
time, since it changes the process's collector for good.

The policy's effect on the speaker is measured by ``bench/bench_tui_soak.py`` (underruns in
the real TUI); these tests check its mechanism: start-up is frozen, a full collection over a
large heap freezes what survived it, and the next full collection does not scan it, while a
small heap is collected as usual.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import gc, json
    from agentconsole import gcpolicy

    before = gc.get_freeze_count()
    gcpolicy.apply()
    after_start = gc.get_freeze_count()
    gc.collect()
    after_small = gc.get_freeze_count()
    # a flood's worth of long-lived objects: 1,000,000 tracked containers; the collector
    # runs by itself while they are made, as it does in the console
    keep = [{"text": [i], "next": None} for i in range(500_000)]
    after_build = gc.get_freeze_count()
    # how many of them the automatic collections froze depends on the machine's speed (the
    # last ones scanned may fit in the budget); a collection that is over it (here: any
    # collection, with the budget at 0) freezes all that survived
    gcpolicy.FULL_COLLECTION_BUDGET = 0.0
    gc.collect()
    print(json.dumps(dict(
        before=before, after_start=after_start, after_small=after_small,
        after_build=after_build, after_big=gc.get_freeze_count(),
        left=len(gc.get_objects(generation=2)), kept=len(keep),
    )))
    """
)


def test_a_long_full_collection_freezes_its_survivors() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    r = json.loads(out.stdout)
    assert r["before"] == 0
    assert r["after_start"] > 1_000, "start-up was not frozen"
    # a small heap: collected as usual, nothing more frozen
    assert r["after_small"] == r["after_start"]
    # a large heap: the collector's own full collections went over the budget and froze most
    # of what survived them (877,000 to 990,000 of the 1,000,000 in five runs)
    assert r["after_build"] - r["after_small"] >= 500_000, r
    # a long collection freezes every survivor, so the next full collection has nothing of
    # them left to scan
    assert r["after_big"] - r["after_small"] >= 1_000_000, r
    assert r["left"] < 1_000, r
