"""The Word templates the department edits (see build_minutes_templates.py)."""
