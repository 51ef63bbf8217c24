"""Interactive demos (ipywidgets), one module per lecture: lNN_topic.py.

Every demo is a `FigureDemo`: controls (sliders, dropdowns, buttons), a
matplotlib figure rendered to PNG into an `ipywidgets.Image`, and a text
readout. Moving a control calls `refresh()`, which must answer in well under
100 ms (benchmarks/bench_widgets.py measures it).
"""
from mlcourse.demos.base import FigureDemo

__all__ = ["FigureDemo"]
