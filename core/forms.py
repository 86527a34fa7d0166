"""Form helpers every app may use."""

from django import forms


class BootstrapFieldsMixin:
    """Bootstrap's classes on each widget, for `partials/form_field.html`, which renders
    a form in a fraction of crispy's time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            widget.attrs["class"] = (
                "form-select" if isinstance(widget, forms.Select) else "form-control"
            )

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " is-invalid"
