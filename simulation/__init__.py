"""Symmetry Studio's engine: photo → calibrated 3D face → measurements → toxin-plan prediction.

Plain Python and NumPy (no Streamlit), usable from the CLI, tests and notebooks.
"""

from .analysis import Analysis, Study, analyze, analyze_image
from .errors import InputError, Notice, SymmetryStudioError
from .ingest import LoadedImage, load_image

__all__ = [
    "Analysis",
    "InputError",
    "LoadedImage",
    "Notice",
    "Study",
    "SymmetryStudioError",
    "analyze",
    "analyze_image",
    "load_image",
]
__version__ = "0.1.0"
