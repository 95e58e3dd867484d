"""Pages shown in the main window's navigation (see ``registry``)."""
