# Order state (DESIGN §5, §11): a Firestore database in native mode.
#
# Layout the Firestore adapter writes (one document per order key, hash-prefixed document ids so
# sequential order numbers do not hotspot):
#   orders/<hash>-<key>  { key: string, open: bool, updatedAt: timestamp, state: map }
#   aliases/<hash>-<ref> { ref: string, key: string }
# Raw payloads never go into these documents (1 MiB limit); state holds only the merged facts.

locals {
  orders_collection = "orders"
}

resource "google_firestore_database" "main" {
  name        = var.firestore_database
  location_id = local.firestore_location
  type        = "FIRESTORE_NATIVE"

  concurrency_mode                  = "PESSIMISTIC" # transactions lock what they read: no lost update under contention
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  deletion_policy                   = var.deletion_protection ? "ABANDON" : "DELETE"

  depends_on = [google_project_service.enabled]
}

# scanOpen: every order with open breaks, in key order (where open == true order by key).
resource "google_firestore_index" "orders_open_by_key" {
  database    = google_firestore_database.main.name
  collection  = local.orders_collection
  query_scope = "COLLECTION"
  depends_on  = [google_firestore_field.orders_updated_at]

  fields {
    field_path = "open"
    order      = "ASCENDING"
  }

  fields {
    field_path = "key"
    order      = "ASCENDING"
  }
}

# The merged state is a large, deep map (every source object keyed by its own id, every seen
# event id, nested timestamps) that no query filters on: not indexed at all, which keeps writes
# cheap and avoids the per-document index-entry limit.
resource "google_firestore_field" "orders_state" {
  database   = google_firestore_database.main.name
  collection = local.orders_collection
  field      = "state"

  index_config {}
}

# updatedAt rises monotonically: indexing it both ways would hotspot the index at high write
# rates. Only the ascending single-field index is kept (scanChangedSince reads
# updatedAt >= since); no descending and no array index.
resource "google_firestore_field" "orders_updated_at" {
  database   = google_firestore_database.main.name
  collection = local.orders_collection
  field      = "updatedAt"

  # Firestore runs one index operation per database at a time: apply them one after another.
  depends_on = [google_firestore_field.orders_state]

  index_config {
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION"
    }
  }
}
