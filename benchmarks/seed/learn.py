"""Learn items: tags from a vocabulary of 40, skewed so a few tags are common."""

from __future__ import annotations

from benchmarks.seed import Scale, SeedReport, execute, rand

TAGS = [
    "email", "conversion", "landing", "copywriting", "mistake", "onboarding", "pricing", "seo",
    "social", "ads", "headline", "cta", "newsletter", "blog", "video", "mobile", "checkout",
    "retention", "brand", "tone", "ux", "ab-test", "analytics", "b2b", "b2c", "launch", "promo",
    "survey", "support", "faq", "legal", "accessibility", "localization", "image",
    "storytelling", "urgency", "trust", "testimonial", "case-study", "webinar",
]  # fmt: skip

# Tag k of item i is TAGS[floor(40 * u²)] with u uniform: "email" is on ~40% of the items,
# "conversion" on ~18%, both on ~7%.
LEARN_SQL = f"""
INSERT INTO learn_learnitem (kind, filename, size_bytes, notes, tags, created_by_id, created_at)
SELECT
  CASE WHEN mod(i, 3) = 0 THEN 'bad' ELSE 'good' END,
  CASE WHEN mod(i, 9) = 0 THEN NULL ELSE 'example_' || i || '.md' END,
  CASE WHEN mod(i, 11) = 0 THEN NULL ELSE mod(i * 7919, 200000) END,
  CASE WHEN mod(i, 7) = 0 THEN NULL ELSE 'Why example ' || i || ' works (or does not).' END,
  (SELECT jsonb_agg(DISTINCT
            (%(tags)s::text[])[1 + floor(40 * power({rand("i * 10 + k", "tag")}, 2))::int])
   FROM generate_series(1, 1 + mod(i, 5)) AS k),
  CASE WHEN mod(i, 8) = 0 THEN NULL
       ELSE (SELECT min(id) FROM auth_user WHERE username LIKE 'bench\\_author\\_%%') + mod(i, 20)
  END,
  timestamptz '2026-11-01 00:00:00+00' - i * interval '37 seconds'
    - CASE WHEN mod(i, 2) = 0 THEN (mod(i, 997)) * interval '1 microsecond' ELSE interval '0' END
FROM generate_series(1, %(n)s) AS i
"""


def seed(scale: Scale, report: SeedReport) -> list[str]:
    execute("TRUNCATE learn_learnitem RESTART IDENTITY")
    report.step("learn items", lambda: execute(LEARN_SQL, {"tags": TAGS, "n": scale.learn_items}))
    return ["learn_learnitem"]
