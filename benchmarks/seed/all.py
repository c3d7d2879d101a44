"""Every app's seeder, in the order they run."""

from benchmarks.seed import learn, monitoring, students

SEEDERS = {"learn": learn.seed, "monitoring": monitoring.seed, "students": students.seed}
