"""Raw baselines of the learn scenarios."""

from __future__ import annotations

import json

from benchmarks.raw import endpoint, fetch_json
from benchmarks.sql import cursor, iso, iso_json

# The API's cursor of an item (config.connections.keyset.cursor_of) in the list's order.
ITEM_CURSOR = cursor("-created_at,-id", iso_json("i.created_at"), "i.id::text")

LEARN_ITEMS_SQL = f"""
WITH page AS (
  SELECT * FROM learn_learnitem
  WHERE tags @> %(tags)s::jsonb
  ORDER BY created_at DESC, id DESC
  LIMIT %(first)s + 1
), numbered AS (
  SELECT i.*, row_number() OVER (ORDER BY i.created_at DESC, i.id DESC) AS n,
         {ITEM_CURSOR} AS cursor
  FROM page AS i
)
SELECT json_build_object('data', json_build_object('learnItems', json_build_object(
  'totalCount', (SELECT count(*) FROM learn_learnitem WHERE tags @> %(tags)s::jsonb),
  'pageInfo', json_build_object(
    'hasNextPage', (SELECT count(*) > %(first)s FROM page),
    'endCursor', (SELECT i.cursor FROM numbered AS i WHERE i.n <= %(first)s
                  ORDER BY i.n DESC LIMIT 1)
  ),
  'nodes', COALESCE((
    SELECT json_agg(json_build_object(
      'id', i.id::text,
      'kind', upper(i.kind),
      'filename', i.filename,
      'sizeBytes', i.size_bytes,
      'notes', i.notes,
      'tags', i.tags,
      'createdAt', {iso("i.created_at")},
      'createdBy', CASE WHEN u.id IS NULL THEN NULL
                   ELSE json_build_object('id', u.id::text, 'username', u.username) END
    ) ORDER BY i.n)
    FROM numbered AS i
    LEFT JOIN auth_user AS u ON u.id = i.created_by_id
    WHERE i.n <= %(first)s
  ), '[]'::json)
)))::text
"""


@endpoint("learn-items", perm="learn.view_learnitem")
def learn_items(variables: dict, **_auth) -> str:
    params = {"tags": json.dumps(variables["tags"]), "first": variables["first"]}
    return fetch_json(LEARN_ITEMS_SQL, params)


LEARN_STATS_SQL = """
SELECT json_build_object('data', json_build_object('learnStats', json_build_object(
  'total', c.total,
  'countByKind', json_build_array(
    json_build_object('kind', 'GOOD', 'count', c.good),
    json_build_object('kind', 'BAD', 'count', c.bad)
  ),
  'tagFrequency', COALESCE((
    SELECT json_agg(json_build_object('tag', t.tag, 'count', t.n)
                    ORDER BY t.n DESC, t.tag COLLATE "C")
    FROM (
      SELECT tag, count(*) AS n
      FROM learn_learnitem, jsonb_array_elements_text(tags) AS tag
      GROUP BY tag
      ORDER BY n DESC, tag COLLATE "C"
      LIMIT %(limit)s
    ) AS t
  ), '[]'::json)
)))::text
FROM (
  SELECT count(*) AS total,
         count(*) FILTER (WHERE kind = 'good') AS good,
         count(*) FILTER (WHERE kind = 'bad') AS bad
  FROM learn_learnitem
) AS c
"""


@endpoint("learn-stats", perm="learn.view_learnitem")
def learn_stats(variables: dict, **_auth) -> str:
    return fetch_json(LEARN_STATS_SQL, {"limit": variables["limit"]})
