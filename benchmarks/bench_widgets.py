"""P2: latency of every demo's update, median and p95 over >= 20 control changes.

For each demo in mlcourse/demos/lNN_*.py (their DEMOS registries), each slider,
dropdown or toggle is moved through a sequence of >= 20 values; each change's
full callback (recompute + redraw + PNG encoding into the Image widget) is timed.
Buttons that train (e.g. the playground) are timed separately, per click.
Goal: median <= 100 ms.  Run: .venv/bin/python benchmarks/bench_widgets.py

The figures are rendered at 2x their CSS size (crisp on high-density screens), so
the PNG of a two-panel demo is 1800 px wide. Besides the wall-clock times (the goal),
the table gives the median CPU time of the process per change (cpu_ms) and the
load average: on a shared machine the wall-clock times grow with the load, the
CPU times hardly do.
"""
import os
import importlib
import pkgutil
import sys
import time

import ipywidgets as widgets
import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
from common import save, summary, table  # noqa: E402

import mlcourse.demos  # noqa: E402

CHANGES = 24


def values_for(control):
    """A sequence of CHANGES values that sweeps the control's range back and forth."""
    if isinstance(control, (widgets.Dropdown, widgets.ToggleButtons, widgets.RadioButtons,
                            widgets.SelectionSlider)):
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return [options[(i + 1) % len(options)] for i in range(CHANGES)]
    if isinstance(control, (widgets.IntSlider, widgets.FloatSlider, widgets.FloatLogSlider,
                            widgets.IntText, widgets.FloatText, widgets.BoundedIntText,
                            widgets.BoundedFloatText)):
        lo = getattr(control, "min", control.value - 1)
        hi = getattr(control, "max", control.value + 1)
        if isinstance(control, widgets.FloatLogSlider):
            base = control.base
            grid = base ** np.linspace(lo, hi, CHANGES // 2)
        else:
            grid = np.linspace(lo, hi, CHANGES // 2)
        grid = np.concatenate([grid, grid[::-1]])
        if isinstance(control, (widgets.IntSlider, widgets.IntText, widgets.BoundedIntText)):
            grid = np.round(grid).astype(int)
        out, last = [], control.value
        for v in grid:       # consecutive equal values would not trigger a change
            v = v.item()
            if v == last:
                v = control.min if v != control.min else control.max
            out.append(v)
            last = v
        return out
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        return [not control.value if i % 2 == 0 else control.value for i in range(CHANGES)]
    return []


def measure(demo, name, control):
    """Wall-clock and CPU seconds of each change of `control`."""
    times, cpu = [], []
    for value in values_for(control):
        start, start_cpu = time.perf_counter(), time.process_time()
        control.value = value          # triggers the demo's observer: recompute + render
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return times, cpu


def all_demos():
    for module in sorted(m.name for m in pkgutil.iter_modules(mlcourse.demos.__path__)):
        if module.startswith("l"):
            mod = importlib.import_module(f"mlcourse.demos.{module}")
            for demo_name, factory in getattr(mod, "DEMOS", {}).items():
                yield module, demo_name, factory


def main():
    rows, load_before = [], os.getloadavg()
    for module, demo_name, factory in all_demos():
        start = time.perf_counter()
        demo = factory()
        build_ms = (time.perf_counter() - start) * 1000
        for control_name, control in demo.controls.items():
            if isinstance(control, widgets.Button):
                times, cpu = [], []
                for _ in range(3):
                    start, start_cpu = time.perf_counter(), time.process_time()
                    control.click()
                    times.append(time.perf_counter() - start)
                    cpu.append(time.process_time() - start_cpu)
                rows.append({"demo": f"{module}.{demo_name}", "control": f"{control_name} (click)",
                             **summary(times), "cpu_ms": summary(cpu)["median_ms"],
                             "build_ms": build_ms})
                continue
            times, cpu = measure(demo, control_name, control)
            if times:
                rows.append({"demo": f"{module}.{demo_name}", "control": control_name,
                             **summary(times), "cpu_ms": summary(cpu)["median_ms"],
                             "build_ms": build_ms})
    load = {"before": load_before, "after": os.getloadavg(), "cpus": os.cpu_count()}
    print(table(rows, ["demo", "control", "n", "median_ms", "p95_ms", "max_ms", "cpu_ms",
                       "build_ms"]))
    slow = [r for r in rows if r["median_ms"] > 100 and "(click)" not in r["control"]]
    print(f"\n{len(rows)} controls; median over 100 ms: {len(slow)}; load average (1 min) "
          f"{load['before'][0]:.1f} before, {load['after'][0]:.1f} after, on {load['cpus']} CPUs")
    print("results:", save("widgets", {"goal_median_ms": 100, "load_average": load,
                                       "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
