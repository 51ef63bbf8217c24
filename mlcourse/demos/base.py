"""The common shape of the course's interactive demos.

Sizes. A demo's figure is `figsize` inches wide and is shown at CSS_DPI CSS pixels
per inch (like matplotlib's inline figures: fonts of 10 pt are about 14 CSS px).
It is rendered at PIXEL_RATIO times that resolution, and the `ipywidgets.Image`
gets an explicit CSS width of (pixel width) / PIXEL_RATIO with `max-width: 100%`:
the picture can shrink to fit a narrow output area but is never stretched, so it
stays crisp on a high-density ("retina") screen.

Static fallback. Displaying a demo sends, besides the widget view, a picture of
the demo as it is when displayed (its initial state, for a new demo) as
`image/png` and as HTML with a caption asking to run the cell. Wherever the widget
cannot be shown (a notebook before its cell is run, a static page, a notebook
viewer) that picture is shown instead of the widget's raw repr.
"""
import base64
import html
import io
import re
import struct
import zlib

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

CSS_DPI = 100            # CSS pixels per figure inch
PIXEL_RATIO = 2          # image pixels per CSS pixel
MAX_CSS_WIDTH = 960      # a figure wider than this does not fit a JupyterLab output area
RUN_HINT = "Interactive demo — run this cell in JupyterLab to use the controls"
FALLBACK_BUDGET = 150_000    # bytes: above this, the stored picture gets a 256-colour palette

# Control sizes in CSS px (JupyterLab's 13 px font): labels are shown whole
# (description_width "initial") and every slider keeps a track of TRACK_PX.
CHAR_PX, TRACK_PX, READOUT_PX, MARGIN_PX = 8, 220, 72, 24
SLIDERS = (widgets.IntSlider, widgets.FloatSlider, widgets.FloatLogSlider,
           widgets.SelectionSlider)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind, payload):
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def encode_png(pixels, level=1):
    """PNG bytes (RGBA, 8 bits) of an (h, w, 4) uint8 image, made for speed.

    Every row uses PNG's "Sub" filter (each byte minus the same byte of the
    pixel on its left: zero on a plot's flat areas and on the opaque alpha
    channel), computed in one pass over the contiguous buffer, and is deflated
    at `level`. Pillow tries five filters per row and takes about three times as
    long on a 1800 x 760 figure, and dropping the alpha channel first (a strided
    copy) costs more than the extra bytes it saves: both matter within a 100 ms
    widget callback.
    """
    pixels = np.ascontiguousarray(pixels)
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 4:
        raise ValueError(f"pixels must be uint8 of shape (h, w, 4) (RGBA); got "
                         f"{pixels.dtype} {pixels.shape}")
    h, w, _ = pixels.shape
    flat = pixels.reshape(h, 4 * w)
    rows = np.empty((h, 1 + 4 * w), dtype=np.uint8)
    rows[:, 0] = 1                                            # filter type 1: Sub
    rows[:, 1:5] = flat[:, :4]
    np.subtract(flat[:, 4:], flat[:, :-4], out=rows[:, 5:])   # wraps modulo 256
    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)      # 8-bit RGBA
    return (PNG_SIGNATURE + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows, level)) + _chunk(b"IEND", b""))


def png_size(png):
    """(width, height) in pixels from a PNG's header."""
    png = bytes(png)
    if len(png) < 24 or not png.startswith(PNG_SIGNATURE) or png[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    return struct.unpack(">II", png[16:24])


def compress_png(png, budget=FALLBACK_BUDGET):
    """The same picture as a small PNG, for storing in a notebook: deflated as hard
    as Pillow can and, if that is still over `budget` bytes, with a 256-colour palette."""
    image = Image.open(io.BytesIO(bytes(png))).convert("RGB")
    candidates = [image] if budget is None else [image, image.quantize(256)]
    for candidate in candidates:
        buffer = io.BytesIO()
        candidate.save(buffer, format="png", optimize=True)
        if budget is None or buffer.tell() <= budget:
            break
    return buffer.getvalue()


def plain_text(markup):
    """The text of a readout's HTML, tags removed, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def style_control(control):
    """Give a control a whole label and, for a slider, a track of TRACK_PX CSS pixels.

    Labels get `description_width: initial` (their natural width instead of a
    cut at 80 px); a slider or dropdown without an explicit width gets one that
    holds its label, its track or longest option and its readout.
    """
    if isinstance(control, widgets.Button) or not hasattr(control, "description"):
        return control
    control.style.description_width = "initial"
    label_px = CHAR_PX * len(control.description)
    if control.layout.width is None:
        if isinstance(control, SLIDERS):
            control.layout.width = f"{label_px + TRACK_PX + READOUT_PX + MARGIN_PX}px"
        elif isinstance(control, widgets.Dropdown):
            longest = max((len(str(label)) for label in control._options_labels), default=0)
            control.layout.width = f"{label_px + max(CHAR_PX * longest + 40, 120) + MARGIN_PX}px"
        control.layout.max_width = "100%"
    return control


class FigureDemo:
    """Controls + a figure + a readout; subclasses implement `draw(**values) -> str`.

    The figure is a plain `matplotlib.figure.Figure` (not pyplot), so the
    notebook's inline backend does not show a second, static copy of it; it is
    rendered to PNG bytes into an `ipywidgets.Image` on every change. `draw`
    updates the artists from the controls' values and returns the readout text
    (HTML). Display the demo by leaving it as the last expression of a cell.

    figsize: (width, height) in inches, shown at CSS_DPI CSS px per inch and
    rendered at PIXEL_RATIO times that (see the module's docstring).

    Speed (each change must answer in well under 100 ms): the layout is computed
    once, at the first render. A demo whose changes only move a few artists
    registers them with `animate(*artists)`: the rest of the figure is then drawn
    once into a cached background and only those artists are redrawn on top
    (blitting). Call `invalidate()` when the static part changes (new data), or
    return a key per static state from `background_key()`.
    """

    def __init__(self, controls, figsize=(6.4, 4.4), ncols=1):
        width, height = figsize
        if not 2.0 <= width <= MAX_CSS_WIDTH / CSS_DPI or not 1.0 <= height <= 8.0:
            raise ValueError(f"figsize must be (width, height) in inches with width in "
                             f"[2, {MAX_CSS_WIDTH / CSS_DPI:g}] and height in [1, 8]; "
                             f"got {figsize}")
        self.controls = dict(controls)
        self.fig = Figure(figsize=figsize, dpi=CSS_DPI * PIXEL_RATIO, layout="constrained")
        self.canvas = FigureCanvasAgg(self.fig)
        self.axes = [self.fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
        self.ax = self.axes[0]
        pixel_width, _ = self.canvas.get_width_height()
        self.css_width = pixel_width // PIXEL_RATIO
        self.image = widgets.Image(format="png", layout=widgets.Layout(
            width=f"{self.css_width}px", max_width="100%", height="auto"))
        self.readout = widgets.HTML(layout=widgets.Layout(max_width=f"{self.css_width}px"))
        self._animated, self._backgrounds = [], {}
        for name, control in self.controls.items():
            style_control(control)
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
        return encode_png(np.asarray(self.canvas.buffer_rgba()))

    def refresh(self):
        """Redraw from the controls' current values; returns the readout text."""
        text = self.draw(**self.values())
        self.readout.value = text
        self.image.value = self.render()
        return text

    # ---------------------------------------------------------------- static fallback
    def description(self):
        """What the demo shows, in one sentence (the first of its class docstring)."""
        doc = " ".join((type(self).__doc__ or type(self).__name__).replace("`", "").split())
        return doc.split(". ")[0].rstrip(".") + "."

    def control_summary(self):
        """The controls' current settings, e.g. "data = XOR, update = 0"."""
        parts = []
        for control in self.controls.values():
            if isinstance(control, widgets.Button) or not hasattr(control, "value"):
                continue
            value = getattr(control, "label", None) or control.value
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            parts.append(f"{control.description or '?'} = {shown}")
        return ", ".join(parts)

    def fallback(self):
        """(png bytes, html) of the static picture shown where the widget cannot be."""
        if not self.image.value:          # not drawn yet
            self.refresh()
        png = compress_png(self.image.value)
        state = self.control_summary()
        alt = f"{self.description()} Shown: {plain_text(self.readout.value)}"
        uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        markup = (f'<figure class="mlcourse-demo" style="margin: 0">'
                  f'<img src="{uri}" width="{self.css_width}" alt="{html.escape(alt)}" '
                  f'style="max-width: 100%; height: auto">'
                  f"<figcaption><b>{html.escape(RUN_HINT)}.</b>"
                  f"{' Shown: ' + html.escape(state) + '.' if state else ''}<br>"
                  f"{self.readout.value}</figcaption></figure>")
        return png, markup

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        """The widget view plus its static fallback: image/png (with its CSS width),
        text/html (the picture, its alt text and a caption) and a short text/plain."""
        data = dict(self.ui._repr_mimebundle_(**kwargs))
        png, markup = self.fallback()
        data["image/png"] = base64.b64encode(png).decode("ascii")
        data["text/html"] = markup
        data["text/plain"] = f"{type(self).__name__}: {RUN_HINT}."
        width, height = png_size(png)
        metadata = {"image/png": {"width": self.css_width,
                                  "height": round(height * self.css_width / width)}}
        if include is not None:
            data = {k: v for k, v in data.items() if k in include}
        if exclude is not None:
            data = {k: v for k, v in data.items() if k not in exclude}
        return data, {k: v for k, v in metadata.items() if k in data}
