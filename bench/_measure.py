"""What the benchmarks share: running a child process and measuring it (wall time, its own peak
RSS and CPU time, and what the rest of the machine did meanwhile), summarising rounds, the
machine's description, throwaway venvs for baselines, and the work folder."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def busy_cpu_seconds() -> float:
    """CPU time used by everything on the machine since boot (all cores), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def tree_sample(root: int) -> tuple[int, float]:
    """The summed RSS (KiB) and CPU time (s, as /proc/<pid>/stat counts it) of a process and all
    its descendants (a Python driver and its JVM)."""
    parents, rss, cpu = {}, {}, {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            stat = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        parents[pid] = int(fields.get("PPid", "0").strip() or 0)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
        cpu[pid] = (int(stat[11]) + int(stat[12])) / tick  # utime, stime: fields 14 and 15 of stat
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        grew, tree = bool(more), tree | more
    return sum(rss.get(pid, 0) for pid in tree), sum(cpu.get(pid, 0.0) for pid in tree)


def measure(cmd: list, env: dict, log: Path, tree: bool = False) -> dict:
    """Run one child, reap it with wait4: wall time, the child's own peak RSS and CPU time, and
    the CPU time the rest of the machine used meanwhile (other people's work disturbs it). With
    ``tree``, also the peak of the summed RSS of the child and its descendants, sampled every
    0.2 s (``peak_tree_rss_mib``: a JVM the child starts is not in its own RSS), and their CPU
    time (``tree_cpu_seconds``: a JVM the child does not wait for is not in its CPU time; the
    larger of the child's own and the last sample's sum, which misses at most the last 0.2 s)."""
    with open(f"{log}.out", "wb") as out, open(f"{log}.err", "wb") as err:
        load = loadavg()
        busy = busy_cpu_seconds()
        start = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak, tree_cpu, done = [0], [0.0], threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                kib, seconds = tree_sample(proc.pid)
                peak[0] = max(peak[0], kib)
                tree_cpu[0] = max(tree_cpu[0], seconds)  # a descendant gone drops out of the sum

        sampler = threading.Thread(target=sample, daemon=True) if tree else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        busy = busy_cpu_seconds() - busy
        done.set()
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: Popen must not wait again
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "rc": proc.returncode,
        "seconds": wall,
        "peak_rss_mib": usage.ru_maxrss / 1024,  # Linux: KiB
        **({"peak_tree_rss_mib": max(peak[0], usage.ru_maxrss) / 1024,
            "tree_cpu_seconds": max(cpu, tree_cpu[0])} if tree else {}),
        "cpu_seconds": cpu,
        "other_cpu_seconds": max(0.0, busy - (max(cpu, tree_cpu[0]) if tree else cpu)),
        "load_before": load,
        "stdout": Path(f"{log}.out").read_text(encoding="utf-8", errors="replace"),
        "stderr": Path(f"{log}.err").read_text(encoding="utf-8", errors="replace"),
    }


def checked(result: dict, what: str) -> dict:
    if result["rc"] != 0:
        print(f"\n{what} failed (exit {result['rc']}):\n{result['stdout'][-3000:]}\n{result['stderr'][-3000:]}", file=sys.stderr)
        raise SystemExit(1)
    return result


def jingshen_env(home: Path) -> dict:
    """The environment of a `jingshen` child: its own SQLite home, nothing of the caller's
    database or crash tests."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JINGSHEN_CRASH_AT", "DJANGO_SETTINGS_MODULE")}
    env["JINGSHEN_HOME"] = str(home)
    return env


def median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda r: r["seconds"])[(len(runs) - 1) // 2]


def summarise(tool: str, runs: list[dict], lines: int) -> dict:
    """Figures of one tool over its runs: the best run (least disturbed by other processes on the
    machine) for time and speed, the median for reference, the highest peak RSS."""
    best = min(runs, key=lambda r: r["seconds"])
    return {"tool": tool, "seconds": best["seconds"], "median_seconds": median_run(runs)["seconds"],
            "lines_per_s": lines / best["seconds"], "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
            "cpu_seconds": best["cpu_seconds"], "all_seconds": [round(r["seconds"], 2) for r in runs],
            **({"peak_tree_rss_mib": max(r["peak_tree_rss_mib"] for r in runs), "tree_cpu_seconds": best["tree_cpu_seconds"]}
               if "peak_tree_rss_mib" in best else {}),
            "other_cpu_seconds": [round(r["other_cpu_seconds"], 1) for r in runs],
            "load_before": [r["load_before"] for r in runs], "inner": best.get("inner")}


def machine_info(packages: tuple[str, ...]) -> dict:
    """Cores, CPU, memory, Python and OS, and the versions of ``packages`` in this environment."""
    mem = next((int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")), 0)
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")), "?")
    info = {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "ram_gib": round(mem / 1024 / 1024, 1),
            "python": platform.python_version(), "os": platform.platform()}
    for pkg in packages:
        try:
            info[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            info[pkg] = "?"
    return info


def throwaway_venv(venv: Path, packages: list[str], check: str) -> tuple[Path | None, str]:
    """An interpreter with ``packages`` in a venv of the work folder (the project's venv is not
    touched): reused if ``check`` (Python code) runs in it, else created; (None, why) on failure."""
    python = venv / "bin" / "python"
    if python.exists() and subprocess.run([str(python), "-c", check], capture_output=True).returncode == 0:
        return python, "throwaway venv (reused)"
    try:
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", *packages], check=True, capture_output=True, timeout=900)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        return None, f"{exc} {detail.decode(errors='replace')[-500:]}"
    return python, "throwaway venv"


def work_folder_options(parser, kept: str) -> None:
    """The options every benchmark has: --workdir, --keep (``kept``: what a kept folder holds), --json."""
    parser.add_argument("--workdir", help="work folder (default: a new temporary folder); reused by later runs with --keep")
    parser.add_argument("--keep", action="store_true", help=f"keep the work folder ({kept}) for later runs")
    parser.add_argument("--json", help="also write the results as JSON to this file")


def in_work_folder(parser, args, prefix: str, run, kept: str) -> None:
    """``run(args, work)`` in ``--workdir`` or a new temporary folder (never inside the
    repository), removed afterwards unless ``--keep``; ``kept`` is printed then, with {work}."""
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    if work.resolve().is_relative_to(REPO):
        parser.error("the work folder must be outside the repository")
    try:
        run(args, work)
    finally:
        if args.keep:
            print("\n" + kept.format(work=work))
        else:
            shutil.rmtree(work, ignore_errors=True)
