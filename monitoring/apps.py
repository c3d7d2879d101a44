from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from config import prepared
        from monitoring import partitions

        # A generic plan of the partitioned log table prunes nothing and misjudges its filters.
        prepared.plan_with_values(partitions.TABLE)
