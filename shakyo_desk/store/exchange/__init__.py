"""Sync persistence (DESIGN §5): identity and roster, knowledge, export, the import
pipeline, merge application and conflicts. Formats and pure rules live in ``shakyo_desk.sync``."""
