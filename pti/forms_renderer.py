from django.forms.renderers import TemplatesSetting


class PtiFormRenderer(TemplatesSetting):
    """Renders `{{ form }}` with our accessible layout: summary of errors, label, help, error."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
