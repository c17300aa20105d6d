"""Admin registrations, so the demo data can be inspected and edited next to the API."""

from django.contrib import admin

from .models import Appointment, Clinic, Doctor, Drug, Patient, Person, Prescription


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["first_name", "last_name", "email"]
    search_fields = ["first_name", "last_name", "email"]


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "opening_time", "closing_time"]


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["first_name", "last_name", "insurance_number", "blood_type"]
    search_fields = ["first_name", "last_name", "insurance_number"]


@admin.register(Doctor)
class DoctorAdmin(admin.ModelAdmin):
    list_display = ["first_name", "last_name", "license_number", "specialty", "clinic"]
    list_filter = ["specialty", "clinic"]


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["starts_at", "patient", "doctor", "status", "priority"]
    list_filter = ["status", "priority"]
    # Thousands of rows after load_demo_data: plain <select>s would render every one.
    raw_id_fields = ["patient", "doctor"]


@admin.register(Drug)
class DrugAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "unit_price", "controlled"]
    search_fields = ["name", "code"]


@admin.register(Prescription)
class PrescriptionAdmin(admin.ModelAdmin):
    list_display = ["drug", "dosage", "quantity", "refills"]
    raw_id_fields = ["appointment"]
