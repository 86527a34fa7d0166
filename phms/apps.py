from django.apps import AppConfig


class PhmsConfig(AppConfig):
    name = "phms"
    verbose_name = "PHMS"
