"""The dashboard's pages (tabs): each draws its widgets and calls the `simulation` package."""
