"""Clinic models.

This domain complements the blog with the harder relational shapes: ``Patient`` and ``Doctor``
inherit from a concrete ``Person`` (multi-table inheritance), doctors reach patients through
``Appointment`` (an M2M with a through model carrying its own data), integer choices, time
fields, a PROTECT foreign key, and a default manager built from a custom queryset.
"""

import uuid
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from django_graphql_auto import graphql_field, graphql_mutation


class Person(models.Model):
    first_name = models.CharField(max_length=60)
    last_name = models.CharField(max_length=60)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)

    @property
    @graphql_field(requires=["first_name", "last_name"])
    def full_name(self) -> str:
        """First and last name, as printed on letters."""
        return f"{self.first_name} {self.last_name}".strip()

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Clinic(models.Model):
    name = models.CharField(max_length=120, unique=True)
    address = models.TextField(blank=True)
    opening_time = models.TimeField()
    closing_time = models.TimeField()
    website = models.URLField(blank=True)
    founded = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Patient(Person):
    class BloodType(models.TextChoices):
        A_POS = "a_pos", "A+"
        A_NEG = "a_neg", "A-"
        B_POS = "b_pos", "B+"
        B_NEG = "b_neg", "B-"
        AB_POS = "ab_pos", "AB+"
        AB_NEG = "ab_neg", "AB-"
        O_POS = "o_pos", "O+"
        O_NEG = "o_neg", "O-"

    insurance_number = models.CharField(max_length=30, blank=True)
    blood_type = models.CharField(max_length=8, blank=True, choices=BloodType.choices)


class Doctor(Person):
    class Specialty(models.TextChoices):
        GENERAL = "general", "General practice"
        CARDIOLOGY = "cardiology", "Cardiology"
        DERMATOLOGY = "dermatology", "Dermatology"
        PEDIATRICS = "pediatrics", "Pediatrics"

    license_number = models.CharField(max_length=20, unique=True)
    specialty = models.CharField(
        max_length=20, choices=Specialty.choices, default=Specialty.GENERAL
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="doctors")
    patients = models.ManyToManyField(
        Patient,
        through="Appointment",
        related_name="doctors",
        blank=True,
    )

    def __str__(self) -> str:
        return f"Dr {self.first_name} {self.last_name}"


class AppointmentQuerySet(models.QuerySet):
    """Named filters; the default queryset stays unfiltered so nothing is hidden implicitly."""

    def upcoming(self, now: datetime | None = None) -> "AppointmentQuerySet":
        # ``now`` is injectable so callers (and tests) can pin the reference time.
        now = now or timezone.now()
        return self.filter(status=Appointment.Status.SCHEDULED, starts_at__gte=now).order_by(
            "starts_at"
        )

    def done(self) -> "AppointmentQuerySet":
        return self.filter(status=Appointment.Status.DONE)


class Appointment(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    class Priority(models.IntegerChoices):
        LOW = 1, "Low"
        NORMAL = 2, "Normal"
        URGENT = 3, "Urgent"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="appointments")
    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="appointments")
    starts_at = models.DateTimeField()
    duration = models.DurationField(default=timedelta(minutes=30))
    fee = models.DecimalField(max_digits=8, decimal_places=2)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    priority = models.IntegerField(choices=Priority.choices, default=Priority.NORMAL)
    notes = models.TextField(blank=True)
    reference = models.UUIDField(default=uuid.uuid4, unique=True)

    objects = AppointmentQuerySet.as_manager()

    @graphql_mutation(description="Move the appointment; only scheduled ones can move.")
    def reschedule(self, starts_at: datetime, minutes: int = 30) -> bool:
        if self.status != self.Status.SCHEDULED:
            raise ValidationError({"status": "Only scheduled appointments can be moved."})
        if minutes <= 0:
            raise ValidationError({"minutes": "Must be positive."}, code="min_value")
        self.starts_at = starts_at
        self.duration = timedelta(minutes=minutes)
        self.save(update_fields=["starts_at", "duration"])
        return True

    def __str__(self) -> str:
        # No patient/doctor names: those would cost two extra queries per row in admin lists.
        return f"Appointment #{self.pk} at {self.starts_at:%Y-%m-%d %H:%M}"


class Drug(models.Model):
    name = models.CharField(max_length=100, unique=True)
    code = models.SlugField(max_length=40, unique=True)
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)
    controlled = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class Prescription(models.Model):
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        related_name="prescriptions",
    )
    # PROTECT: a drug that was ever prescribed must not disappear from the history.
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="prescriptions")
    dosage = models.CharField(max_length=100)
    quantity = models.PositiveSmallIntegerField(default=1)
    refills = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.drug} x{self.quantity}"
