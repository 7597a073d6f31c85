"""incidents.form_html: an unbound action form is rendered once, and only what it depends
on (class, initial values, choices, language) decides whether it is the same form."""

import pytest
from django.utils import translation

from catalog.models import Vendor
from incidents import forms
from incidents.form_html import form_html
from operations import form_html as form_html_module


@pytest.fixture(autouse=True)
def empty_cache(monkeypatch):
    monkeypatch.setattr(form_html_module, "_rendered", {})


@pytest.fixture
def renders(monkeypatch):
    """Which forms Django's form rendering ran for."""
    calls = []
    real = forms.forms.Form.as_div

    def counting(form):
        calls.append(type(form).__name__)
        return real(form)

    monkeypatch.setattr(forms.forms.Form, "as_div", counting)
    return calls


def test_an_unbound_form_is_rendered_once_as_django_renders_it(renders):
    html = form_html(forms.AssignForm(initial={"team": "L2"}))
    assert html == forms.AssignForm(initial={"team": "L2"}).as_div()
    renders.clear()
    assert form_html(forms.AssignForm(initial={"team": "L2"})) == html
    assert renders == []
    other = form_html(forms.AssignForm(initial={"team": "L3"}))  # other initial values: another form
    assert renders == ["AssignForm"] and other != html and 'value="L3" selected' in other


def test_a_bound_form_is_rendered_with_its_errors_every_time(renders):
    first = form_html(forms.CloseForm({"closure_notes": ""}))
    assert "This field is required." in first
    form_html(forms.CloseForm({"closure_notes": ""}))
    assert renders == ["CloseForm", "CloseForm"]


@pytest.mark.django_db
def test_choices_read_from_the_database_make_another_form():
    Vendor.objects.create(name="Acme Networks")
    before = form_html(forms.EngageVendorForm())
    Vendor.objects.create(name="Zeta Telecom")
    after = form_html(forms.EngageVendorForm())
    assert "Zeta Telecom" not in before and "Zeta Telecom" in after and "Acme Networks" in after


def test_each_language_has_its_own_rendering(renders):
    form_html(forms.NoteForm())
    renders.clear()
    with translation.override("de"):
        form_html(forms.NoteForm())
    assert renders == ["NoteForm"]
