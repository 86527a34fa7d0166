from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self):
        # patients/ sits below scheduling/ and cannot import it; it calls what is
        # registered here, inside the same transaction that closes the encounter.
        from patients.services import encounter_close_follow_up_register
        from scheduling.services import appointment_complete_for_encounter

        encounter_close_follow_up_register(appointment_complete_for_encounter)
