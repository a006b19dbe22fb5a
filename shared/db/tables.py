"""The schema, as SQLAlchemy Core tables. Migrations under ``migrations/`` create it."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR

metadata = MetaData()

NOW = text("now()")

partners = Table(
    "partners",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", Text, nullable=False, unique=True),
    Column("timezone", Text, nullable=False, server_default="UTC"),
    Column("languages", ARRAY(Text), nullable=False, server_default="{}"),
    Column("profile", JSONB, nullable=False, server_default="{}"),
    Column("disabled", Boolean, nullable=False, server_default="false"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("signing_secret", Text, nullable=True),  # body signatures (shared/db/signing.py)
    Column("require_signature", Boolean, nullable=False, server_default="false"),
)

credentials = Table(
    "credentials",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key_id", Text, nullable=False, unique=True),
    Column("secret_hash", Text, nullable=False),
    Column("kind", Text, nullable=False),  # partner | editor | admin
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=True),
    Column("name", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=False),
    Column("status", Text, nullable=False),
    Column("content_type", Text, nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("idempotency_key", Text, nullable=True),
    Column("request_id", Text, nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("enqueued_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claims", Integer, nullable=False, server_default="0"),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("error", JSONB, nullable=True),
    Column("warnings", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    # The API's parse, kept for the worker (shared/reading/kept.py); cleared by a replay.
    Column("prepared", LargeBinary, nullable=True),
    UniqueConstraint("partner_id", "sha256", name="submissions_partner_sha256_key"),
    UniqueConstraint("partner_id", "idempotency_key", name="submissions_partner_idem_key"),
    Index(
        "submissions_pending_idx",
        "status",
        "enqueued_at",
        postgresql_where=text("status IN ('queued', 'processing')"),
    ),
)

items = Table(
    "items",
    metadata,
    Column("id", Text, primary_key=True),
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=False),
    Column("uri", Text, nullable=False),
    Column("uri_derived", Boolean, nullable=False, server_default="false"),
    Column("version", Text, nullable=True),
    Column("versioncreated", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("language", Text, nullable=True),
    Column("pubstatus", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("duplicate_of", Text, nullable=True),
    Column("cluster", Text, nullable=False),
    Column("versions", Integer, nullable=False, server_default="1"),
    Column("current_version_id", BigInteger, nullable=True),
    Column("doc", JSONB, nullable=False),
    Column("search", TSVECTOR, nullable=True),
    Column("signature", LargeBinary, nullable=True),
    UniqueConstraint("partner_id", "uri", name="items_partner_uri_key"),
    Index("items_newest_idx", text("versioncreated DESC"), text("id DESC")),
    Index("items_received_idx", text("received_at DESC"), text("id DESC")),  # sort=received
    Index("items_partner_newest_idx", "partner_id", text("versioncreated DESC")),
    Index("items_fingerprint_idx", "fingerprint"),
    Index("items_search_idx", "search", postgresql_using="gin"),
    Index("items_cluster_idx", "cluster"),
    Index("items_current_version_idx", "current_version_id"),  # the change feed (stream)
    Index(
        "items_subjects_idx",
        text("(doc -> 'subjects') jsonb_path_ops"),
        postgresql_using="gin",
    ),
)

item_versions = Table(
    "item_versions",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("item_id", Text, ForeignKey("items.id"), nullable=False),
    Column("version", Text, nullable=True),
    Column("version_num", Numeric, nullable=True),
    Column("versioncreated", DateTime(timezone=True), nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("pubstatus", Text, nullable=False),
    Column("submission_id", Text, ForeignKey("submissions.id"), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("doc", JSONB, nullable=False),
    Index("item_versions_item_idx", "item_id", "id"),
)

submission_items = Table(
    "submission_items",
    metadata,
    Column("submission_id", Text, ForeignKey("submissions.id"), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("item_id", Text, ForeignKey("items.id"), nullable=True),
    Column("uri", Text, nullable=False),
    Column("version", Text, nullable=True),
    Column("verdict", Text, nullable=False),
)

# Near-duplicate detection: one row per LSH band key, owned by the first item that had it.
lsh_buckets = Table(
    "lsh_buckets",
    metadata,
    Column("bucket", BigInteger, primary_key=True, autoincrement=False),
    Column("item_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Index("lsh_buckets_created_idx", "created_at"),
)

# Webhooks (shared/db/subscriptions.py): subscriptions and the delivery outbox.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),  # whsec_…: an HMAC key, shown once at creation
    Column("filters", JSONB, nullable=False, server_default="{}"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("created_by", Text, nullable=True),  # the creating token's key id
    Column("disabled_at", DateTime(timezone=True), nullable=True),
    Column("disabled_reason", Text, nullable=True),
    Column("failing_since", DateTime(timezone=True), nullable=True),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "subscription_id",
        Text,
        ForeignKey("subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("item_id", Text, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("event", Text, nullable=False),  # item.created | item.updated | item.killed
    Column("payload", JSONB, nullable=False),  # the contract item
    Column("status", Text, nullable=False, server_default="pending"),  # pending|sent|failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Index("deliveries_due_idx", "status", "next_attempt_at"),
    Index("deliveries_subscription_idx", "subscription_id", "status"),
    Index("deliveries_item_idx", "item_id"),
)
