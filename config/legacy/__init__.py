"""Importing the tables of the legacy systems (manage.py import_legacy)."""
