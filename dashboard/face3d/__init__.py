"""face3d: the subject's face before and after a plan as interactive 3D (WebGL, one camera).

`viewer(...)` draws it in a Streamlit app; `payload` builds its data without Streamlit.
"""

from .component import viewer
from .payload import MeshLike, colour_scale, muscle_lines, scene_payload, state_payload

__all__ = ["MeshLike", "colour_scale", "muscle_lines", "scene_payload", "state_payload", "viewer"]
