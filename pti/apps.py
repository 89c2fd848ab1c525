from django.apps import AppConfig


class PtiConfig(AppConfig):
    name = "pti"
    verbose_name = "pacte territorial d'insertion"
