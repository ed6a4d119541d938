"""Jinja2 templates for Baton's server-rendered pages (a package so installs carry them)."""
