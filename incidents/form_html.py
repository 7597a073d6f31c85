"""The incident pages render their forms through the shared cache (operations.form_html)."""

from operations.form_html import form_html

__all__ = ["form_html"]
