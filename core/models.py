from django.db import models


class AddressFields(models.Model):
    """A postal address: the columns the patient, the payer and the organization each keep."""

    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)

    class Meta:
        abstract = True
