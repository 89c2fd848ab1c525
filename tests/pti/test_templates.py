import pytest
from django.template import engines


def test_an_undefined_template_variable_fails_the_test():
    template = engines["django"].from_string("Bonjour {{ personne.nom }}")
    with pytest.raises(NameError, match=r"personne\.nom"):
        template.render({})


def test_an_optional_value_tested_with_if_does_not_fail():
    template = engines["django"].from_string("{% if personne %}{{ personne }}{% endif %}ok")
    assert template.render({}) == "ok"
