#!/usr/bin/env python3
"""Peer benchmarks: Python standard-library execution strategies.

Measures concurrent.futures.ThreadPoolExecutor, ProcessPoolExecutor (fork,
spawn, forkserver), multiprocessing.Pool and asyncio (gather + Semaphore) on
five workloads:

  start  - cold start: create ProcessPoolExecutor(2) (etc.) and get the first
           result back; median of --start-reps (default 10)
  crash  - a task calls os._exit(1) inside a ProcessPoolExecutor; records what
           happens to the other futures and to the pool (plus mp.Pool contrast)
  tiny   - per-item dispatch overhead, f(x) = x + 1, items/second
  cpu    - 64 items of ~20 ms CPU each on 2 workers, wall time and speedup vs
           sequential; two kinds: 'primes' (pure-Python trial division, holds
           the GIL) and 'sha256' (hashlib over 1 MiB, releases the GIL)
  io     - 10,000 items each sleeping 10 ms, wall time vs the ideal
           ceil(items / concurrency) * 10 ms
  payload - what users send: 200,000 records (int, str, 8 floats) -> sum,
           1 KiB / 64 KiB / 1 MiB bytes -> len (about 200 MB per run),
           100,000 strings -> len, 200 array('d') of 100,000 -> sum, 64 KiB /
           1 MiB bytes -> the same reversed (large results), on
           multiprocessing.Pool(2) with pickle: every chunksize tried, fork and
           spawn; warm (after a warm-up map) and cold (the first map in a fresh
           interpreter, relaunched per measurement); the workers' resident
           memory afterwards. Not in the default run: the .NET payload suite
           (--suite payload --quick) invokes it with its own sizes.

Output: one JSON object per line (prefix-free, each has "lang": "python"),
then a human-readable table. Only the standard library is used.

    python3 bench.py                 # everything, defaults (~3 minutes on 2 cores)
    python3 bench.py --only tiny cpu # subset
    python3 bench.py --quick         # small sizes, 1 rep (smoke test)
    python3 bench.py --only payload --payload-scale 0.05  # payloads at 5% size

"""

import argparse
import array
import concurrent.futures as cf
import dataclasses
import hashlib
import json
import math
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

# --------------------------------------------------------------------------
# Work functions. Module level so that spawn / forkserver can pickle them.
# --------------------------------------------------------------------------


def inc(x):
    return x + 1


def count_primes(n):
    """Number of primes below n by naive trial division (same as .NET)."""
    count = 0
    for i in range(2, n):
        d = 2
        is_prime = True
        while d * d <= i:
            if i % d == 0:
                is_prime = False
                break
            d += 1
        if is_prime:
            count += 1
    return count


_SHA_BUF = None


def sha256_rounds(rounds):
    """SHA-256 of a 1 MiB buffer (bytes 0..255 repeated), `rounds` times."""
    global _SHA_BUF
    if _SHA_BUF is None:
        _SHA_BUF = bytes(range(256)) * 4096
    digest = b""
    for _ in range(rounds):
        digest = hashlib.sha256(_SHA_BUF).digest()
    return digest[0]


CPU_KINDS = {"primes": count_primes, "sha256": sha256_rounds}


def sleep_task(seconds):
    time.sleep(seconds)
    return seconds


def sleep_then_touch(seconds, path):
    time.sleep(seconds)
    with open(path, "w") as fh:
        fh.write("finished")
    return "finished"


def crash_task(delay):
    time.sleep(delay)
    os._exit(1)


def raise_task():
    raise ValueError("boom")


@dataclasses.dataclass
class Item:
    """The payload record; its .NET twin is record Item(int Id, string Name, double[] Values)."""
    id: int
    name: str
    values: list


def sum_values(item):
    total = 0.0
    for v in item.values:
        total += v
    return total


def blob_length(blob):
    return len(blob)


def reverse_blob(blob):
    return blob[::-1]


def text_length(text):
    return len(text)


def sum_doubles(values):
    return sum(values)


def pid_after(delay):
    time.sleep(delay)
    return os.getpid()


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

RESULTS = []
now = time.perf_counter


def emit(rec):
    rec = {"lang": "python", **rec}
    RESULTS.append(rec)
    print(json.dumps(rec), flush=True)


def summary(samples):
    return {
        "median_s": round(statistics.median(samples), 6),
        "min_s": round(min(samples), 6),
        "max_s": round(max(samples), 6),
        "samples_s": [round(s, 6) for s in samples],
    }


def repeat(fn, reps):
    """fn() performs one timed run and returns elapsed seconds."""
    return [fn() for _ in range(reps)]


def log(msg):
    print(f"# {msg}", file=sys.stderr, flush=True)


def proc_label(method):
    default = mp.get_start_method(allow_none=True) or mp.get_context().get_start_method()
    return f"{method} (default)" if method == default else method


def warm_pool(ex, workers, delay=0.02):
    # Forces all workers to exist (spawn/forkserver start workers on demand).
    list(ex.map(sleep_task, [delay] * (workers * 2)))


# --------------------------------------------------------------------------
# (d) start
# --------------------------------------------------------------------------


def suite_start(args):
    reps = args.start_reps
    w = 2

    def pool_case(label, make, first_result, close):
        create_to_result = []
        shutdown = []
        for _ in range(reps):
            t0 = now()
            pool = make()
            first_result(pool)
            t1 = now()
            close(pool)
            t2 = now()
            create_to_result.append(t1 - t0)
            shutdown.append(t2 - t1)
        emit({"workload": "start", "impl": label, "workers": w,
              "what": "create pool + first result", "first_s": round(create_to_result[0], 6),
              **summary(create_to_result),
              "shutdown_median_s": round(statistics.median(shutdown), 6)})

    pool_case("ThreadPoolExecutor", lambda: cf.ThreadPoolExecutor(w),
              lambda p: p.submit(inc, 1).result(), lambda p: p.shutdown(wait=True))
    for method in args.methods:
        ctx = mp.get_context(method)
        pool_case(f"ProcessPoolExecutor[{proc_label(method)}]",
                  lambda: cf.ProcessPoolExecutor(w, mp_context=ctx),
                  lambda p: p.submit(inc, 1).result(), lambda p: p.shutdown(wait=True))
    for method in args.methods:
        ctx = mp.get_context(method)
        pool_case(f"multiprocessing.Pool[{proc_label(method)}]", lambda: ctx.Pool(w),
                  lambda p: p.apply(inc, (1,)), lambda p: (p.close(), p.join()))


# --------------------------------------------------------------------------
# (e) crash
# --------------------------------------------------------------------------


def _describe_future(f, t_done):
    d = {"done": f.done(), "cancelled": f.cancelled()}
    if f.done() and not f.cancelled():
        exc = f.exception()
        if exc is None:
            d["result"] = f.result()
        else:
            d["exception"] = f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
            if exc.__cause__ is not None:
                d["exception_cause"] = repr(exc.__cause__)[:200]
    if t_done is not None:
        d["completed_after_s"] = round(t_done, 3)
    return d


def _summarise_pending(futs, done_at):
    outcomes = {}
    times = []
    for i, f in enumerate(futs):
        d = _describe_future(f, done_at.get(f"pending_{i}"))
        key = d.get("exception") or ("result=%r" % d["result"] if "result" in d else "not done")
        outcomes[key] = outcomes.get(key, 0) + 1
        times.append(d.get("completed_after_s"))
    return {"count": len(futs), "outcomes": outcomes, "completed_after_s": times}


def suite_crash(args):
    for method in args.methods:
        ctx = mp.get_context(method)
        ex = cf.ProcessPoolExecutor(2, mp_context=ctx)
        f_before = ex.submit(inc, 41)
        f_before.result()
        tmpdir = tempfile.mkdtemp(prefix="peerbench-crash-")
        marker = os.path.join(tmpdir, "running-task-finished")
        done_at = {}
        t0 = now()

        def track(name, fut):
            fut.add_done_callback(lambda _f: done_at.setdefault(name, now() - t0))
            return fut

        f_crash = track("crashing", ex.submit(crash_task, 0.3))
        f_running = track("running_on_other_worker", ex.submit(sleep_then_touch, 1.0, marker))
        f_pending = [track(f"pending_{i}", ex.submit(sleep_task, 0.05)) for i in range(6)]
        cf.wait([f_crash, f_running, *f_pending], timeout=15)
        after = {}
        try:
            after["submit_after_crash"] = repr(ex.submit(inc, 1).result(timeout=5))
        except Exception as e:  # noqa: BLE001 - we record whatever happens
            after["submit_after_crash"] = f"raises {type(e).__name__}: {e}"
        try:
            ex.shutdown(wait=True)
            after["shutdown"] = "ok"
        except Exception as e:  # noqa: BLE001
            after["shutdown"] = f"raises {type(e).__name__}: {e}"
        time.sleep(1.2)  # would the running task (1.0 s) still have finished?
        after["running_task_completed_anyway"] = os.path.exists(marker)
        try:
            with cf.ProcessPoolExecutor(2, mp_context=ctx) as ex2:
                after["new_executor_works"] = ex2.submit(inc, 1).result(timeout=10) == 2
        except Exception as e:  # noqa: BLE001
            after["new_executor_works"] = f"raises {type(e).__name__}: {e}"
        excs = [f.exception() for f in [f_crash, f_running, *f_pending] if f.done()]
        emit({
            "workload": "crash", "impl": f"ProcessPoolExecutor[{proc_label(method)}]", "workers": 2,
            "scenario": "f_before done; then crashing task (os._exit(1) after 0.3 s), a 1.0 s task "
                        "on the other worker, 6 pending 0.05 s tasks",
            "completed_before_crash": _describe_future(f_before, None),
            "crashing": _describe_future(f_crash, done_at.get("crashing")),
            "running_on_other_worker": _describe_future(f_running, done_at.get("running_on_other_worker")),
            "pending": _summarise_pending(f_pending, done_at),
            "all_failed_futures_share_one_exception_object": len({id(e) for e in excs if e is not None}) == 1,
            **after,
        })
        try:
            os.remove(marker)
        except OSError:
            pass
        os.rmdir(tmpdir)

    # Contrast 1: an ordinary exception in a task.
    ctx = mp.get_context(args.methods[0])
    with cf.ProcessPoolExecutor(2, mp_context=ctx) as ex:
        f_err = ex.submit(raise_task)
        f_ok = ex.submit(inc, 1)
        err = f_err.exception(timeout=10)
        emit({"workload": "crash", "impl": f"ProcessPoolExecutor[{proc_label(args.methods[0])}]",
              "scenario": "task raises ValueError (no crash)",
              "raising": f"{type(err).__name__}: {err}", "other": f_ok.result(timeout=10),
              "submit_after": ex.submit(inc, 2).result(timeout=10)})

    # Contrast 2: multiprocessing.Pool with a crashing worker.
    with ctx.Pool(2) as pool:
        r_crash = pool.apply_async(crash_task, (0.1,))
        r_others = [pool.apply_async(sleep_task, (0.05,)) for _ in range(4)]
        outcome = {}
        t0 = now()
        try:
            outcome["crashing_get"] = repr(r_crash.get(timeout=3))
        except Exception as e:  # noqa: BLE001
            outcome["crashing_get"] = f"raises {type(e).__module__}.{type(e).__name__} after {now() - t0:.1f} s (timeout=3)"
        outcome["others"] = [r.get(timeout=5) for r in r_others]
        outcome["apply_after_crash"] = pool.apply(inc, (1,))
        emit({"workload": "crash", "impl": f"multiprocessing.Pool[{proc_label(args.methods[0])}]",
              "scenario": "apply_async(os._exit(1)) among 4 other tasks", **outcome})


# --------------------------------------------------------------------------
# (a) tiny
# --------------------------------------------------------------------------


def suite_tiny(args):
    n = args.tiny_items
    n_slow = args.tiny_items_slow
    w = args.workers
    reps = args.reps

    def record(impl, mode, items, samples):
        med = statistics.median(samples)
        emit({"workload": "tiny", "impl": impl, "mode": mode, "workers": w, "items": items,
              "items_per_s": round(items / med), "us_per_item": round(med / items * 1e6, 3),
              **summary(samples)})

    def check(res, items):
        # sum(x + 1 for x in range(items))
        s = sum(res)
        assert s == items * (items - 1) // 2 + items, "wrong result"

    def t_seq():
        t = now()
        res = [inc(x) for x in range(n)]
        el = now() - t
        check(res, n)
        return el

    record("sequential (list comprehension)", "loop", n, repeat(t_seq, reps))

    def run_map(ex, items, chunksize=None):
        def go():
            t = now()
            res = list(ex.map(inc, range(items))) if chunksize is None else \
                list(ex.map(inc, range(items), chunksize=chunksize))
            el = now() - t
            check(res, items)
            return el
        return go

    def run_submit(ex, items):
        def go():
            t = now()
            futs = [ex.submit(inc, x) for x in range(items)]
            res = [f.result() for f in futs]
            el = now() - t
            check(res, items)
            return el
        return go

    with cf.ThreadPoolExecutor(w) as ex:
        list(ex.map(inc, range(100)))
        record("ThreadPoolExecutor", "map", n, repeat(run_map(ex, n), reps))
        record("ThreadPoolExecutor", "submit+result", n, repeat(run_submit(ex, n), reps))

    for method in args.methods:
        ctx = mp.get_context(method)
        label = f"ProcessPoolExecutor[{proc_label(method)}]"
        log(f"tiny {label}")
        with cf.ProcessPoolExecutor(w, mp_context=ctx) as ex:
            warm_pool(ex, w)
            record(label, "map(chunksize=1)", n_slow, repeat(run_map(ex, n_slow, 1), reps))
            record(label, "map(chunksize=1000)", n, repeat(run_map(ex, n, 1000), reps))
            record(label, "submit+result", n_slow, repeat(run_submit(ex, n_slow), reps))

    for method in args.methods:
        ctx = mp.get_context(method)
        label = f"multiprocessing.Pool[{proc_label(method)}]"
        log(f"tiny {label}")
        with ctx.Pool(w) as pool:
            pool.map(inc, range(100))

            def pmap(items, cs):
                def go():
                    t = now()
                    res = pool.map(inc, range(items), chunksize=cs)
                    el = now() - t
                    check(res, items)
                    return el
                return go

            def papply(items):
                def go():
                    t = now()
                    rs = [pool.apply_async(inc, (x,)) for x in range(items)]
                    res = [r.get() for r in rs]
                    el = now() - t
                    check(res, items)
                    return el
                return go

            record(label, "map(chunksize=1)", n_slow, repeat(pmap(n_slow, 1), reps))
            record(label, "map(chunksize=1000)", n, repeat(pmap(n, 1000), reps))
            record(label, "apply_async+get", n_slow, repeat(papply(n_slow), reps))

    import asyncio

    for conc in (args.tiny_async_concurrency, None):
        async def main(items, conc=conc):
            if conc is None:
                async def one(x):
                    return x + 1
            else:
                sem = asyncio.Semaphore(conc)

                async def one(x):
                    async with sem:
                        return x + 1
            t = now()
            res = await asyncio.gather(*(one(x) for x in range(items)))
            el = now() - t
            check(res, items)
            return el

        mode = f"gather+Semaphore({conc})" if conc else "gather (unbounded)"
        record("asyncio", mode, n, repeat(lambda: asyncio.run(main(n)), reps))


# --------------------------------------------------------------------------
# (b) cpu
# --------------------------------------------------------------------------


def suite_cpu(args):
    w = args.workers
    reps = args.reps
    items = args.cpu_items
    for kind in args.cpu_kinds:
        fn = CPU_KINDS[kind]
        param = args.primes_n if kind == "primes" else args.sha_rounds
        work = [param] * items
        expected = fn(param)

        # Sequential: also gives the per-item time.
        per_item = []

        def seq():
            t = now()
            for p in work:
                t1 = now()
                assert fn(p) == expected
                per_item.append(now() - t1)
            return now() - t

        seq_samples = repeat(seq, reps)
        seq_med = statistics.median(seq_samples)
        base = {"workload": "cpu", "kind": kind,
                "param": {"primes": {"n": param}, "sha256": {"rounds_of_1MiB": param}}[kind],
                "items": items}
        emit({**base, "impl": "sequential", "workers": 1,
              "per_item_ms_median": round(statistics.median(per_item) * 1e3, 3),
              "speedup": 1.0, **summary(seq_samples)})

        def pool_map(ex, chunksize=1):
            def go():
                t = now()
                res = list(ex.map(fn, work, chunksize=chunksize)) if chunksize != 1 else list(ex.map(fn, work))
                el = now() - t
                assert all(r == expected for r in res)
                return el
            return go

        def rec(impl, samples):
            med = statistics.median(samples)
            emit({**base, "impl": impl, "workers": w, "speedup": round(seq_med / med, 3), **summary(samples)})

        with cf.ThreadPoolExecutor(w) as ex:
            rec("ThreadPoolExecutor", repeat(pool_map(ex), reps))
        for method in args.methods:
            ctx = mp.get_context(method)
            log(f"cpu {kind} {method}")
            with cf.ProcessPoolExecutor(w, mp_context=ctx) as ex:
                warm_pool(ex, w)
                rec(f"ProcessPoolExecutor[{proc_label(method)}]", repeat(pool_map(ex), reps))
        ctx = mp.get_context(args.methods[0])
        with ctx.Pool(w) as pool:
            pool.map(inc, range(10))

            def go():
                t = now()
                res = pool.map(fn, work, chunksize=1)
                el = now() - t
                assert all(r == expected for r in res)
                return el
            rec(f"multiprocessing.Pool[{proc_label(args.methods[0])}]", repeat(go, reps))


# --------------------------------------------------------------------------
# (c) io
# --------------------------------------------------------------------------


def suite_io(args):
    n = args.io_items
    s = args.io_sleep_ms / 1000.0
    reps = args.reps

    def rec(impl, conc, samples, note=None):
        med = statistics.median(samples)
        ideal = math.ceil(n / conc) * s if conc else s
        r = {"workload": "io", "impl": impl, "concurrency": conc if conc else "unbounded",
             "items": n, "sleep_ms": args.io_sleep_ms, "ideal_s": round(ideal, 4),
             "x_ideal": round(med / ideal, 2), **summary(samples)}
        if note:
            r["note"] = note
        emit(r)

    for tw in args.io_thread_workers:
        def go(tw=tw):
            # Threads are created lazily by the executor, so creating them is
            # part of the measured time.
            t = now()
            with cf.ThreadPoolExecutor(tw) as ex:
                res = list(ex.map(sleep_task, [s] * n))
            el = now() - t
            assert len(res) == n
            return el
        log(f"io threads {tw}")
        rec("ThreadPoolExecutor", tw, repeat(go, reps), "time includes lazy thread creation and shutdown")

    method = args.methods[0]
    ctx = mp.get_context(method)
    for pw in args.io_proc_workers:
        log(f"io processes {pw}")
        t = now()
        with cf.ProcessPoolExecutor(pw, mp_context=ctx) as ex:
            warm_pool(ex, pw, 0.05)
            warm = now() - t

            def go():
                t = now()
                res = list(ex.map(sleep_task, [s] * n))
                el = now() - t
                assert len(res) == n
                return el
            rec(f"ProcessPoolExecutor[{proc_label(method)}]", pw, repeat(go, reps),
                f"pool pre-started (start+warm-up took {warm:.2f} s)")
        t = now()
        with ctx.Pool(pw) as pool:
            pool.map(sleep_task, [0.05] * pw, chunksize=1)
            warm = now() - t

            def go():
                t = now()
                res = pool.map(sleep_task, [s] * n, chunksize=1)
                el = now() - t
                assert len(res) == n
                return el
            rec(f"multiprocessing.Pool[{proc_label(method)}]", pw, repeat(go, reps),
                f"pool pre-started (start+warm-up took {warm:.2f} s); chunksize=1")

    import asyncio

    for conc in [*args.io_async_concurrency, None]:
        async def main(conc=conc):
            if conc is None:
                async def one(_):
                    await asyncio.sleep(s)
                    return 1
            else:
                sem = asyncio.Semaphore(conc)

                async def one(_):
                    async with sem:
                        await asyncio.sleep(s)
                        return 1
            t = now()
            res = await asyncio.gather(*(one(i) for i in range(n)))
            el = now() - t
            assert sum(res) == n
            return el
        rec("asyncio gather" + (f"+Semaphore({conc})" if conc else ""), conc,
            repeat(lambda: asyncio.run(main()), reps))


# --------------------------------------------------------------------------
# payload
# --------------------------------------------------------------------------

# Items per run at full size (scale 1); the .NET payload suite uses the same
# counts, formulas and keys (tests/Concurrency.Toolkit.Benchmarks/Payloads).
PAYLOAD_FULL = {"records": 200_000, "blobs-1k": 200_000, "blobs-64k": 3_200, "blobs-1m": 200,
                "strings": 100_000, "doubles": 200, "reversed-64k": 3_200, "reversed-1m": 200}
PAYLOAD_CHUNKSIZES = {"records": [1, 100, 1000], "blobs-1k": [1, 100, 1000], "blobs-64k": [1, 10],
                      "blobs-1m": [1, 10], "strings": [1, 100, 1000], "doubles": [1, 10],
                      "reversed-64k": [1, 10], "reversed-1m": [1, 10]}
_ALPHABET = "abcdefghijklmnopqrstuvwxyz" * 5


def payload_count(shape, scale):
    # Python's round() and .NET's Math.Round both round half to even.
    return max(4, round(PAYLOAD_FULL[shape] * scale))


def payload_build(shape, n):
    """Inputs (distinct objects, so pickle's memo cannot share them), work, payload bytes."""
    if shape == "records":
        data = [Item(i, f"record-{i}", [i % 1000 + k * 0.125 for k in range(8)]) for i in range(n)]
        return data, sum_values, sum(4 + len(x.name) + 8 * len(x.values) for x in data)
    if shape.startswith("blobs-"):
        size = {"blobs-1k": 1024, "blobs-64k": 64 * 1024, "blobs-1m": 1024 * 1024}[shape]
        pattern = bytes(range(256)) * (size // 256 + 2)
        data = [pattern[i % 256:i % 256 + size] for i in range(n)]  # byte j is (i + j) & 0xFF
        return data, blob_length, n * size
    if shape.startswith("reversed-"):
        # Results as large as the inputs: the blob's bytes reversed (PayloadWork.Reverse).
        size = {"reversed-64k": 64 * 1024, "reversed-1m": 1024 * 1024}[shape]
        pattern = bytes(range(256)) * (size // 256 + 2)
        data = [pattern[i % 256:i % 256 + size] for i in range(n)]
        return data, reverse_blob, n * size
    if shape == "strings":
        data = [f"{i:08d}" + _ALPHABET[i % 26:i % 26 + 90 + i % 21 - 8] for i in range(n)]
        return data, text_length, sum(len(x) for x in data)
    if shape == "doubles":
        # array('d') is the standard library's double[]: pickled as one block of raw bytes.
        base = array.array("d", [(j % 1000) * 0.5 for j in range(100_000 + 1000)])
        data = [base[i % 1000:i % 1000 + 100_000] for i in range(n)]  # element j is ((i + j) % 1000) * 0.5
        return data, sum_doubles, n * 8 * 100_000
    raise ValueError(f"unknown payload {shape!r}")


def read_memory(pid):
    """VmRSS and VmHWM (the peak) from /proc/PID/status, and the private part (Private_Clean + Private_Dirty from
    /proc/PID/smaps_rollup), in bytes; None off Linux."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            fields = dict(line.split(":", 1) for line in fh if ":" in line)
    except OSError:
        return None
    kb = lambda name: int(fields[name].split()[0]) * 1024  # noqa: E731
    private = None
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            rollup = dict(line.split(":", 1) for line in fh if ":" in line)
        private = sum(int(rollup[n].split()[0]) * 1024 for n in ("Private_Clean", "Private_Dirty"))
    except (OSError, KeyError):
        pass
    return {"pid": pid, "rss_bytes": kb("VmRSS"), "peak_bytes": kb("VmHWM"), "private_bytes": private}


def wait_workers_up(pool, workers=2):
    # multiprocessing.Pool starts its workers at once; a spawned one is ready after its imports. Two
    # sleeping items at a time land on two workers once both take work.
    for _ in range(200):
        if len(set(pool.map(pid_after, [0.02] * workers, chunksize=1))) == workers:
            return
    raise RuntimeError("the pool's workers did not all come up")


def suite_payload(args):
    scale, reps, warmups = args.payload_scale, args.reps, args.payload_warmups
    best = {}
    for method in args.payload_methods:
        ctx = mp.get_context(method)
        log(f"payload {method}")
        # The pool first, then the inputs: a forked worker would otherwise count the parent's inputs as resident.
        with ctx.Pool(2) as pool:
            wait_workers_up(pool)
            for shape in args.payload_shapes:
                n = payload_count(shape, scale)
                data, fn, nbytes = payload_build(shape, n)
                expected = [fn(x) for x in data]
                for cs in args.payload_chunksizes or PAYLOAD_CHUNKSIZES[shape]:
                    samples = []
                    for r in range(warmups + reps):
                        t = now()
                        res = pool.map(fn, data, chunksize=cs)
                        el = now() - t
                        assert res == expected, f"payload {shape}: wrong results"
                        if r >= warmups:
                            samples.append(el)
                    rec = {"workload": "payload", "shape": shape, "method": method, "chunksize": cs, "items": n,
                           "bytes": nbytes, "best_s": round(min(samples), 6),
                           "items_per_s": round(n / min(samples)), "mb_per_s": round(nbytes / 1e6 / min(samples), 1),
                           **summary(samples)}
                    emit(rec)
                    if shape not in best or rec["best_s"] < best[shape]["best_s"]:
                        best[shape] = rec
                del data, expected
            time.sleep(1)  # as the toolkit's run waits for its workers to be idle for a second
            emit({"workload": "payload-memory", "method": method,
                  "after": "every payload above, each chunksize %d+%d maps" % (warmups, reps),
                  "workers": [m for m in (read_memory(p.pid) for p in pool._pool) if m],
                  "parent": read_memory(os.getpid())})
    cold_reps = args.payload_cold_reps if args.payload_cold_reps is not None else reps
    for shape in args.payload_shapes:
        how = best[shape]
        log(f"payload cold {shape} ({how['method']}, chunksize {how['chunksize']})")
        samples = []
        for _ in range(cold_reps):
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--payload-cold-child", shape,
                                  "--payload-method", how["method"], "--payload-chunksize", str(how["chunksize"]),
                                  "--payload-scale", repr(scale)],
                                 check=True, stdout=subprocess.PIPE, text=True).stdout
            samples.append(json.loads(out.strip().splitlines()[-1])["cold_s"])
        emit({"workload": "payload-cold", "shape": shape, "method": how["method"], "chunksize": how["chunksize"],
              "items": how["items"], "bytes": how["bytes"], "best_s": round(min(samples), 6),
              "items_per_s": round(how["items"] / min(samples)),
              "mb_per_s": round(how["bytes"] / 1e6 / min(samples), 1), **summary(samples)})


def payload_cold_child(args):
    """The first map in this fresh interpreter, once its pool's workers are up; prints {"cold_s": S}."""
    shape = args.payload_cold_child
    data, fn, _ = payload_build(shape, payload_count(shape, args.payload_scale))
    expected = [fn(x) for x in data]
    with mp.get_context(args.payload_method).Pool(2) as pool:
        wait_workers_up(pool)
        t = now()
        res = pool.map(fn, data, chunksize=args.payload_chunksize)
        el = now() - t
    assert res == expected, f"payload {shape}: wrong results"
    print(json.dumps({"cold_s": round(el, 6)}), flush=True)


# --------------------------------------------------------------------------
# Table
# --------------------------------------------------------------------------


def fmt_s(x):
    return f"{x * 1e3:9.1f} ms" if x < 10 else f"{x:9.2f} s "


def print_table():
    out = []
    w = out.append
    by = lambda name: [r for r in RESULTS if r["workload"] == name]  # noqa: E731
    if by("start"):
        w("\n== start: create pool + first result (median of %d) ==" % len(by("start")[0]["samples_s"]))
        w(f"{'impl':44} {'median':>12} {'first':>12} {'shutdown':>12}")
        for r in by("start"):
            w(f"{r['impl']:44} {fmt_s(r['median_s'])} {fmt_s(r['first_s'])} {fmt_s(r['shutdown_median_s'])}")
    if by("tiny"):
        w("\n== tiny: f(x)=x+1, items/s (median of reps) ==")
        w(f"{'impl':44} {'mode':24} {'items':>8} {'items/s':>12} {'us/item':>9}")
        for r in by("tiny"):
            w(f"{r['impl']:44} {r['mode']:24} {r['items']:8d} {r['items_per_s']:12,d} {r['us_per_item']:9.2f}")
    if by("cpu"):
        w("\n== cpu: 64 items, 2 workers (median of reps) ==")
        w(f"{'kind':7} {'impl':44} {'wall':>12} {'speedup':>8} {'per item':>10}")
        for r in by("cpu"):
            pi = f"{r['per_item_ms_median']:.2f} ms" if "per_item_ms_median" in r else ""
            w(f"{r['kind']:7} {r['impl']:44} {fmt_s(r['median_s'])} {r['speedup']:8.2f} {pi:>10}")
    if by("io"):
        w("\n== io: %d x sleep(%d ms) (median of reps) ==" % (by("io")[0]["items"], by("io")[0]["sleep_ms"]))
        w(f"{'impl':44} {'conc':>9} {'wall':>12} {'ideal':>12} {'x ideal':>8}")
        for r in by("io"):
            w(f"{r['impl']:44} {str(r['concurrency']):>9} {fmt_s(r['median_s'])} {fmt_s(r['ideal_s'])} {r['x_ideal']:8.2f}")
    if by("payload"):
        w("\n== payload: multiprocessing.Pool(2), pickle (best of reps after warm-up; MB = 10^6 bytes) ==")
        w(f"{'payload':10} {'method':6} {'chunksize':>9} {'items':>8} {'items/s':>12} {'MB/s':>9}")
        for r in by("payload") + by("payload-cold"):
            label = r["shape"] + (" cold" if r["workload"] == "payload-cold" else "")
            w(f"{label:15} {r['method']:6} {r['chunksize']:9d} {r['items']:8d} {r['items_per_s']:12,d} {r['mb_per_s']:9.1f}")
        for r in by("payload-memory"):
            mib = lambda m: f"{m['rss_bytes'] / 1048576:.1f} MiB (peak {m['peak_bytes'] / 1048576:.1f})"  # noqa: E731
            w(f"{r['method']} workers after the payloads: " + ", ".join(mib(m) for m in r["workers"])
              + f"; parent {mib(r['parent'])}")
    if by("crash"):
        w("\n== crash ==")
        for r in by("crash"):
            w(f"{r['impl']}: {r['scenario']}")
            for k, v in r.items():
                if k in ("lang", "workload", "impl", "scenario", "workers"):
                    continue
                w(f"    {k}: {v}")
    print("\n".join(out), flush=True)


# --------------------------------------------------------------------------


SUITES = {"start": suite_start, "crash": suite_crash, "tiny": suite_tiny, "cpu": suite_cpu, "io": suite_io,
          "payload": suite_payload}
DEFAULT_SUITES = ["start", "crash", "tiny", "cpu", "io"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", choices=list(SUITES), default=DEFAULT_SUITES,
                    help="suites to run, in this order (default: all but payload)")
    ap.add_argument("--reps", type=int, default=3, help="timed repetitions per case (median reported)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--methods", nargs="+", default=["fork", "spawn", "forkserver"],
                    help="multiprocessing start methods; the first one is used for mp.Pool/io/crash contrasts")
    ap.add_argument("--start-reps", type=int, default=10)
    ap.add_argument("--tiny-items", type=int, default=100_000)
    ap.add_argument("--tiny-items-slow", type=int, default=20_000,
                    help="items for per-item process dispatch (chunksize=1, submit, apply_async)")
    ap.add_argument("--tiny-async-concurrency", type=int, default=1000)
    ap.add_argument("--cpu-items", type=int, default=64)
    ap.add_argument("--cpu-kinds", nargs="+", choices=list(CPU_KINDS), default=list(CPU_KINDS))
    ap.add_argument("--primes-n", type=int, default=36_000, help="count primes below N (same N as .NET)")
    ap.add_argument("--sha-rounds", type=int, default=40, help="SHA-256 rounds over 1 MiB (same as .NET)")
    ap.add_argument("--io-items", type=int, default=10_000)
    ap.add_argument("--io-sleep-ms", type=int, default=10)
    ap.add_argument("--io-thread-workers", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--io-proc-workers", type=int, nargs="+", default=[100, 1000],
                    help="worker processes for the process-pool io cases")
    ap.add_argument("--io-async-concurrency", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--payload-scale", type=float, default=1.0,
                    help="payload sizes as a fraction of full size (200,000 records, about 200 MB of blobs per run)")
    ap.add_argument("--payload-shapes", nargs="+", choices=list(PAYLOAD_FULL), default=list(PAYLOAD_FULL))
    ap.add_argument("--payload-methods", nargs="+", default=["fork", "spawn"],
                    help="start methods for the payload pools (each also reports its workers' memory)")
    ap.add_argument("--payload-chunksizes", type=int, nargs="+",
                    help="chunksizes to try for every payload (default: 1, 100, 1000 for records, strings and "
                         "1 KiB blobs; 1, 10 for the large ones)")
    ap.add_argument("--payload-warmups", type=int, default=1, help="untimed maps before the timed ones")
    ap.add_argument("--payload-cold-reps", type=int, help="fresh interpreters per cold figure (default: --reps)")
    ap.add_argument("--payload-cold-child", choices=list(PAYLOAD_FULL), help=argparse.SUPPRESS)
    ap.add_argument("--payload-method", help=argparse.SUPPRESS)
    ap.add_argument("--payload-chunksize", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="tiny sizes, 1 rep: smoke test only")
    args = ap.parse_args()
    if args.payload_cold_child:
        payload_cold_child(args)
        return
    if args.quick:
        args.reps, args.start_reps = 1, 2
        args.tiny_items, args.tiny_items_slow = 2000, 500
        args.cpu_items, args.primes_n, args.sha_rounds = 4, 2000, 2
        args.io_items, args.io_proc_workers = 200, [10]
        args.payload_scale = min(args.payload_scale, 0.05)

    emit({"workload": "env", "python": platform.python_version(), "implementation": platform.python_implementation(),
          "platform": platform.platform(), "cpus": os.cpu_count(),
          "default_start_method": mp.get_context().get_start_method(), "reps": args.reps})
    t0 = now()
    for name in args.only:
        log(f"suite {name}")
        SUITES[name](args)
    emit({"workload": "total", "elapsed_s": round(now() - t0, 1)})
    # Stop and reap the forkserver and resource tracker (private but long-standing
    # helpers), so that their CPU time, and that of the workers they forked, is
    # accounted to this process: run.sh uses that to detect foreign load.
    for mod, attr in (("forkserver", "_forkserver"), ("resource_tracker", "_resource_tracker")):
        try:
            getattr(__import__(f"multiprocessing.{mod}", fromlist=[attr]), attr)._stop()
        except Exception:  # noqa: BLE001 - accounting only
            pass
    print_table()


if __name__ == "__main__":
    main()
