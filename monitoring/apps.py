from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from config import prepared
        from monitoring import partitions

        # A generic plan of the partitioned log table is several times slower for some filters.
        prepared.plan_with_values(partitions.TABLE)
