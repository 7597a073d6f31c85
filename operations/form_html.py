"""The HTML of an unbound form, rendered once per process rather than on every page.

An action panel's form before anything is typed into it is a function of its class, its
initial values, its fields' choices (the vendor list comes from the database), its prefix
and the language. Rendering the eleven panels of an incident page through Django's form
templates was half the page's time; a bound form (shown again with its errors) is always
rendered afresh.
"""

from django.utils.translation import get_language

MAX_ENTRIES = 1024  # initial values include free text (a subcategory): bound the memory
_rendered: dict = {}


def form_html(form) -> str:
    if form.is_bound:
        return form.as_div()
    key = (
        type(form),
        get_language(),
        form.prefix,
        form.auto_id,
        form.label_suffix,
        form.use_required_attribute,
        _frozen(form.initial),
        tuple((name, _frozen(getattr(field, "choices", None))) for name, field in form.fields.items()),
    )
    html = _rendered.get(key)
    if html is None:
        if len(_rendered) >= MAX_ENTRIES:
            _rendered.clear()
        html = _rendered[key] = form.as_div()
    return html


def _frozen(value):
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    return value
