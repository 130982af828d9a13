"""The colour names people use for clothes ("navy", "burgundy", "mustard", "camel"), as data.

Each name has a reference CIELAB value (D65, from the sRGB swatch in its comment) and the family
our rules (`inference.core.colour.colour_family`) give that reference, so a garment is named
within its own family and its name never contradicts it: a garment the rules call yellow is
"yellow", "mustard" or "gold", never "olive". The CSS/X11 name ("dark khaki", "thistle") is
kept only as a secondary detail (`Colour.css_name`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from skimage.color import deltaE_ciede2000

#: (name, family, reference L*a*b*). tests/inference/core/test_colour_names.py checks every
#: reference falls in its family under the rules, and every family has a name.
FASHION_COLOURS: tuple[tuple[str, str, tuple[float, float, float]], ...] = (
    ("black", "black", (6.3, -0.0, 0.0)),  # #141414
    ("charcoal", "gray", (36.1, 0.0, 0.0)),  # #555555
    ("grey", "gray", (58.3, -0.0, 0.0)),  # #8c8c8c
    ("light grey", "gray", (73.3, -0.0, 0.0)),  # #b4b4b4
    ("silver", "gray", (69.3, 0.4, -2.2)),  # #a8a9ad
    ("white", "white", (97.5, -0.4, 1.0)),  # #f8f8f6
    ("off-white", "white", (94.8, -0.4, 3.1)),  # #f2f0ea
    ("ivory", "beige", (94.7, -1.4, 8.2)),  # #f4f0e0
    ("cream", "beige", (90.8, 0.4, 17.6)),  # #f3e3c3
    ("beige", "beige", (81.3, 0.9, 22.6)),  # #dcc8a0
    ("khaki", "beige", (72.7, 2.0, 18.4)),  # #c3b091
    ("tan", "beige", (75.0, 5.0, 24.4)),  # #d2b48c
    ("camel", "beige", (66.1, 8.4, 30.2)),  # #c19a6b
    ("nude", "beige", (78.8, 9.2, 22.5)),  # #e3bc9a
    ("peach", "beige", (84.1, 11.3, 22.5)),  # #f6c9a8
    ("brown", "brown", (36.2, 10.9, 19.1)),  # #6f4e37
    ("chocolate", "brown", (21.4, 12.0, 15.5)),  # #4a2c1d
    ("taupe", "brown", (45.9, 3.6, 11.3)),  # #7a6a5a
    ("coffee", "brown", (27.9, 12.5, 16.5)),  # #5b3a29
    ("caramel", "brown", (52.9, 11.1, 30.5)),  # #a0764a
    ("red", "red", (42.5, 65.9, 35.7)),  # #c8102e
    ("burgundy", "red", (25.8, 48.9, 21.3)),  # #800020
    ("maroon", "red", (26.1, 43.3, 17.3)),  # #7a1426
    ("pink", "pink", (76.3, 32.3, -1.5)),  # #f4a6c0
    ("blush", "pink", (80.3, 23.0, 1.1)),  # #f2b8c6
    ("hot pink", "pink", (50.4, 75.0, -9.2)),  # #e0218a
    ("fuchsia", "pink", (44.8, 71.0, -15.2)),  # #c71585
    ("magenta", "pink", (43.8, 69.0, -9.9)),  # #c4167a
    ("dusty rose", "pink", (62.7, 25.1, 3.1)),  # #c48793
    ("orange", "orange", (64.9, 41.3, 65.7)),  # #f57c1f
    ("rust", "orange", (44.1, 45.8, 51.1)),  # #b7410e
    ("terracotta", "orange", (53.7, 36.7, 40.9)),  # #c8643b
    ("coral", "orange", (67.3, 45.4, 47.5)),  # #ff7f50
    ("yellow", "yellow", (86.3, -6.7, 86.2)),  # #f5d800
    ("mustard", "yellow", (73.5, 6.9, 76.3)),  # #e1ad01
    ("gold", "yellow", (72.8, 1.4, 62.9)),  # #d4af37
    ("green", "green", (51.1, -44.2, 33.5)),  # #2e8b3d
    ("olive", "green", (51.5, -18.5, 37.3)),  # #708238
    ("emerald", "green", (56.9, -43.5, 9.3)),  # #009b77
    ("mint", "green", (83.7, -30.8, 12.5)),  # #98e0b8
    ("sage", "green", (69.1, -13.7, 17.9)),  # #9caf88
    ("teal", "green", (48.3, -28.8, -8.5)),  # #008080
    ("turquoise", "green", (73.0, -33.0, -17.4)),  # #30c5d2
    ("forest green", "green", (28.8, -24.5, 15.5)),  # #1f4d2b
    ("lime", "green", (78.6, -36.3, 68.4)),  # #a4d233
    ("blue", "blue", (47.7, 14.0, -55.9)),  # #2f6fd0
    ("denim blue", "blue", (44.1, 0.7, -26.5)),  # #4a6a94
    ("light blue", "blue", (78.9, -3.5, -19.4)),  # #a7c7e7
    ("sky blue", "blue", (72.3, -7.7, -29.2)),  # #7ab8e6
    ("royal blue", "blue", (36.0, 27.7, -61.0)),  # #2a4bb8
    ("cobalt", "blue", (32.8, 22.5, -58.4)),  # #0047ab
    ("steel blue", "blue", (52.5, -4.1, -32.2)),  # #4682b4
    ("dark denim", "blue", (34.2, 2.4, -23.2)),  # #3b5175
    ("navy", "navy", (17.3, 3.9, -17.8)),  # #1f2a44
    ("purple", "purple", (31.6, 45.3, -44.3)),  # #6a2c91
    ("lilac", "purple", (71.1, 20.5, -14.1)),  # #c8a2c8
    ("lavender", "purple", (61.6, 38.5, -40.0)),  # #b57edc
    ("plum", "purple", (26.3, 31.8, -20.6)),  # #5e2a5e
    ("mauve", "purple", (55.0, 23.6, -15.6)),  # #a0769f
)


@lru_cache(maxsize=1)
def _by_family() -> dict[str, tuple[list[str], np.ndarray]]:
    table: dict[str, tuple[list[str], list[tuple[float, float, float]]]] = {}
    for name, family, lab in FASHION_COLOURS:
        names, labs = table.setdefault(family, ([], []))
        names.append(name)
        labs.append(lab)
    return {family: (names, np.array(labs)) for family, (names, labs) in table.items()}


def fashion_name(lab: np.ndarray, family: str) -> str:
    """The fashion name nearest (CIEDE2000) to a CIELAB colour among its family's names."""
    point = np.asarray(lab, dtype=np.float64).reshape(3)
    names, refs = _by_family().get(family, ([family], point[None]))
    distance = deltaE_ciede2000(refs, np.broadcast_to(point, refs.shape))
    return names[int(np.argmin(distance))]
