"""The Streamlit dashboard: pages and components over the `simulation` package (which never imports Streamlit)."""
