"""The checks of every lecture, one module per lecture (lNN_topic.py).

Importing this package imports every module in it, which registers each
exercise in `mlcourse.grading.framework.EXERCISES`, in notebook order.
"""
import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
