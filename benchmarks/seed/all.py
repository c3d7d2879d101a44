"""Every app's seeder, in the order they run."""

from benchmarks.seed import chat, learn, monitoring, students

SEEDERS = {
    "chat": chat.seed,
    "learn": learn.seed,
    "monitoring": monitoring.seed,
    "students": students.seed,
}
