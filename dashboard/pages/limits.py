"""Limits page: what the model cannot know (also shown under the prediction)."""

from __future__ import annotations

import streamlit as st

from simulation.limits import LIMITS

__all__ = ["LIMITS", "limits_page"]


def limits_page() -> None:
    """The Limits tab."""
    st.markdown(LIMITS)
