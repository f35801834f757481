"""PostgreSQL restarted in the middle of an import (API.md §8): the worker exits non-zero,
the next run takes the task over and resumes it; no product is made twice. Runs with the
other PostgreSQL restart tests, last (conftest), and always starts PostgreSQL again."""
import subprocess
import time
import zipfile

from test_bulk_worker import Bulk, jpeg, make_zip


def _shell(cmd, stack):
    p = subprocess.run(cmd, shell=True, env=stack.child_env, capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, (cmd, p.stdout[-500:], p.stderr[-500:])


def test_database_restart_mid_import(stack, make_user):
    bulk = Bulk(stack)
    u = make_user(tag="pgbulk")
    n = 80
    entries = [("p.csv", ("sku,name\n" + "".join(f"R{i},n{i}\n" for i in range(n))).encode())]
    entries += [(f"R{i}/a.jpg", jpeg(f"r{i}-" + "y" * 64, 200_000)) for i in range(n)]
    tid = bulk.queue(u.id, make_zip(entries, zipfile.ZIP_STORED), caption=False)
    p = subprocess.Popen([bulk.cron, "run-imports"], env=bulk.env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and bulk.task(tid)["processed"] < 3:
            time.sleep(0.05)
        _shell(stack.pg_stop, stack)
        out, err = p.communicate(timeout=120)
        assert p.returncode == 1, (p.returncode, out, err[-1000:])
        assert "resumed by a later run" in err
    finally:
        _shell(stack.pg_start, stack)
    for _ in range(60):     # PostgreSQL accepting connections again
        try:
            bulk.sql("SELECT 1")
            break
        except subprocess.CalledProcessError:
            time.sleep(0.5)
    t = bulk.task(tid)
    assert t["status"] == "PROCESSING" and 0 < t["processed"] < n, t
    time.sleep(2)
    bulk.run("--stale-after", "1")
    t = bulk.task(tid)
    assert (t["status"], t["processed"], t["ok"], t["failed"]) == ("COMPLETED", n, n, 0), t
    assert len(bulk.products(u.id)) == n
