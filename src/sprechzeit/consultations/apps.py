from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "sprechzeit.consultations"
    label = "consultations"
