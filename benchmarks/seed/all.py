"""Every app's seeder, in the order they run."""

from benchmarks.seed import learn, monitoring

SEEDERS = {"learn": learn.seed, "monitoring": monitoring.seed}
