"""Send a check's probe to the sandbox as source code (the grader's side).

A probe (`Case.probe`) is a function of a check module: it calls the
student's object and turns what comes back into plain data. The sandbox has
no check module (they import the reference implementations), so the grader
sends each probe's source, and the sources of the module's own functions it
uses, with the modules and plain values it needs. `runner.load_probe` runs
them there. A probe that needs anything else (a reference module, an object
that is not plain data) cannot be sent: `probe_spec` says so with
ProbeNotShippable, and tests/test_hostile_view.py checks every registered probe.
"""
import ast
import inspect
import textwrap
import types

from mlcourse.grading import framework, runner


class ProbeNotShippable(Exception):
    """A probe uses something the sandbox does not have; the message says what."""


def _names(source):
    """The names a function's source reads and does not bind itself."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ProbeNotShippable(f"its source does not parse ({exc})") from None
    loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    bound |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments)
              for a in n.posonlyargs + n.args + n.kwonlyargs + [n.vararg, n.kwarg] if a}
    bound |= {n.name for n in ast.walk(tree)
              if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n is not tree.body[0]}
    return sorted(loads - bound)


def _free_values(fn):
    """{name: value} of the variables a nested function takes from its enclosing function."""
    cells = fn.__closure__ or ()
    return {name: cell.cell_contents for name, cell in zip(fn.__code__.co_freevars, cells)}


def probe_spec(fn):
    """A description of probe `fn` that runner.load_probe can rebuild (None for no probe)."""
    if fn is None:
        return None
    if fn is framework.answer:
        return {"builtin": "answer"}
    spec = {"name": fn.__name__, "sources": [], "modules": {}, "values": {}, "tables": {}}
    done = set()

    def visit(f):
        if f.__name__ in done:
            return
        if f.__name__ == "<lambda>":
            raise ProbeNotShippable(f"{f.__qualname__} is a lambda: define the probe with def")
        done.add(f.__name__)
        try:
            source = textwrap.dedent(inspect.getsource(f))
        except (OSError, TypeError) as exc:
            raise ProbeNotShippable(f"no source for {f.__qualname__} ({exc})") from None
        spec["sources"].insert(0, source)
        free = _free_values(f)
        for name in _names(source):
            if name in free:
                resolve(name, free[name], f)
            elif name in f.__globals__:
                resolve(name, f.__globals__[name], f)

    def resolve(name, value, f):
        if name in ("answer", "NotAnsweredYet") and value in (framework.answer,
                                                              framework.NotAnsweredYet):
            return                                   # the runner has its own
        if isinstance(value, types.ModuleType):
            if value.__name__ not in runner.PROBE_MODULES:
                raise ProbeNotShippable(f"{fn.__qualname__} uses module {value.__name__} "
                                        f"(as {name}); the sandbox has only "
                                        f"{', '.join(runner.PROBE_MODULES)}")
            spec["modules"][name] = value.__name__
        elif inspect.isfunction(value) and value.__module__ == f.__module__:
            visit(value)
        elif isinstance(value, dict) and value and all(
                inspect.isfunction(v) and v.__module__ == f.__module__ for v in value.values()):
            for v in value.values():
                visit(v)
            spec["tables"][name] = {k: v.__name__ for k, v in value.items()}
        elif runner.plain(value):
            spec["values"][name] = value
        elif name not in done:
            raise ProbeNotShippable(f"{fn.__qualname__} uses {name} "
                                    f"({type(value).__name__}), which is not plain data")

    visit(fn)
    return spec


def exercise_job(ex, cases):
    """What the sandbox needs to grade `ex`: the object's name, the time limit, the probes
    and, per case, the arguments and which probe (never the expected answer)."""
    probes, keys, out = {}, {}, []
    for case in cases:
        key = None
        if case.probe is not None:
            key = keys.setdefault(id(case.probe), f"p{len(keys)}")
            if key not in probes:
                probes[key] = probe_spec(case.probe)
        out.append({"args": tuple(case.args), "kwargs": dict(case.kwargs), "probe": key})
    probes[None] = None
    return {"id": ex.id, "name": ex.name, "timeout": float(ex.timeout), "probes": probes,
            "cases": out}
