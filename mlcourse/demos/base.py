"""The common shape of the course's interactive demos."""
import io

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image


class FigureDemo:
    """Controls + a figure + a readout; subclasses implement `draw(**values) -> str`.

    The figure is a plain `matplotlib.figure.Figure` (not pyplot), so the
    notebook's inline backend does not show a second, static copy of it; it is
    rendered to PNG bytes into an `ipywidgets.Image` on every change. `draw`
    updates the artists from the controls' values and returns the readout text
    (HTML). Display the demo by leaving it as the last expression of a cell.

    Speed (each change must answer in well under 100 ms): the layout is computed
    once, at the first render. A demo whose changes only move a few artists
    registers them with `animate(*artists)`: the rest of the figure is then drawn
    once into a cached background and only those artists are redrawn on top
    (blitting). Call `invalidate()` when the static part changes (new data), or
    return a key per static state from `background_key()`.
    """

    def __init__(self, controls, figsize=(5.5, 4.0), dpi=72, ncols=1):
        self.controls = dict(controls)
        self.fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        self.canvas = FigureCanvasAgg(self.fig)
        self.axes = [self.fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
        self.ax = self.axes[0]
        self.image = widgets.Image(format="png")
        self.readout = widgets.HTML()
        self._animated, self._backgrounds = [], {}
        for name, control in self.controls.items():
            if hasattr(control, "value"):
                control.observe(lambda change, name=name: self.changed(name), names="value")
        self.ui = widgets.VBox([widgets.HBox(list(self.controls.values()),
                                             layout=widgets.Layout(flex_flow="row wrap")),
                                self.image, self.readout])

    def values(self):
        return {name: c.value for name, c in self.controls.items() if hasattr(c, "value")}

    def changed(self, name):
        """Called when control `name` changes value; by default, redraw."""
        self.refresh()

    def draw(self, **values):
        raise NotImplementedError("a demo implements draw(**values) -> readout text")

    def animate(self, *artists):
        """Redraw only these artists on changes; the rest is a cached background."""
        for artist in artists:
            artist.set_animated(True)
        self._animated = list(artists)
        self.invalidate()

    def invalidate(self):
        """Forget the cached backgrounds (call after changing static artists)."""
        self._backgrounds = {}

    def background_key(self):
        """Which cached background fits the current state; a demo whose static part
        switches between a few states (data sets) returns a key per state."""
        return None

    def render(self):
        """PNG bytes of the figure as it is now."""
        key = self.background_key()
        if key not in self._backgrounds or not self._animated:
            self.canvas.draw()                       # animated artists are skipped here
            if self.fig.get_layout_engine() is not None:
                self.fig.set_layout_engine("none")   # keep the computed layout from now on
            self._backgrounds[key] = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self._backgrounds[key])
        for artist in self._animated:
            self.fig.draw_artist(artist)
        pixels = np.asarray(self.canvas.buffer_rgba())
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def refresh(self):
        """Redraw from the controls' current values; returns the readout text."""
        text = self.draw(**self.values())
        self.readout.value = text
        self.image.value = self.render()
        return text

    def _repr_mimebundle_(self, **kwargs):
        return self.ui._repr_mimebundle_(**kwargs)
