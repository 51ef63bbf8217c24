"""The common shape of the course's interactive demos."""
import io

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


class FigureDemo:
    """Controls + a figure + a readout; subclasses implement `draw(**values) -> str`.

    The figure is a plain `matplotlib.figure.Figure` (not pyplot), so the
    notebook's inline backend does not show a second, static copy of it; it is
    rendered to PNG bytes into an `ipywidgets.Image` on every change. `draw`
    updates the artists from the controls' values and returns the readout text
    (HTML). Display the demo by leaving it as the last expression of a cell.
    """

    def __init__(self, controls, figsize=(5.5, 4.0), dpi=72, ncols=1):
        self.controls = dict(controls)
        self.fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        FigureCanvasAgg(self.fig)
        self.axes = [self.fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
        self.ax = self.axes[0]
        self.image = widgets.Image(format="png")
        self.readout = widgets.HTML()
        for control in self.controls.values():
            if hasattr(control, "value"):
                control.observe(lambda change: self.refresh(), names="value")
        self.ui = widgets.VBox([widgets.HBox(list(self.controls.values()),
                                             layout=widgets.Layout(flex_flow="row wrap")),
                                self.image, self.readout])

    def values(self):
        return {name: c.value for name, c in self.controls.items() if hasattr(c, "value")}

    def draw(self, **values):
        raise NotImplementedError("a demo implements draw(**values) -> readout text")

    def refresh(self):
        """Redraw from the controls' current values; returns the readout text."""
        text = self.draw(**self.values())
        self.readout.value = text
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png")
        self.image.value = buffer.getvalue()
        return text

    def _repr_mimebundle_(self, **kwargs):
        return self.ui._repr_mimebundle_(**kwargs)
