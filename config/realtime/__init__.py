"""Real-time GraphQL subscriptions delivered by polling an event table through any pooler.

See docs/realtime.md: events are written by triggers in the writing transaction, read after a
cursor below the snapshot's xmin (nothing missed or duplicated), one poll per topic and process.
"""
