"""Renderers over the same findings: terminal tables and the JSON report."""
