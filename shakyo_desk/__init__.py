"""社協デスク (shakyo_desk): offline desktop app for rural social welfare councils."""

__version__ = "0.1.0"
APP_NAME = "shakyo-desk"
