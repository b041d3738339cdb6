# Order state (DESIGN §5, §11): a Firestore database in native mode.
#
# Layout the Firestore adapter writes (shared/adapters/gcp/firestore-order-state-store.ts, collection
# prefix "tieout"; hash-prefixed document ids so sequential order numbers do not hotspot):
#   tieout_orders/<hash>_<key>   { key, open, updatedDay, updatedAt, state }   state: one JSON string
#   tieout_aliases/<hash>_<ref>  { ref, key }
# The indexes below are firestoreOrderStateIndexes() of that module: one composite index for the
# nightly query and single-field exemptions; updatedDay keeps its automatic index (scanChangedSince).
# Raw payloads never go into these documents (1 MiB limit); state holds only the merged facts.

locals {
  orders_collection  = "tieout_orders"
  aliases_collection = "tieout_aliases"
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
  depends_on  = [google_firestore_field.aliases_key]

  fields {
    field_path = "open"
    order      = "ASCENDING"
  }

  fields {
    field_path = "key"
    order      = "ASCENDING"
  }
}

# The merged state is one large JSON string (every source object keyed by its own id, every seen
# event id) that no query filters on: not indexed at all, which keeps writes cheap and keeps the
# document under the index-entry limits.
resource "google_firestore_field" "orders_state" {
  database   = google_firestore_database.main.name
  collection = local.orders_collection
  field      = "state"

  index_config {}
}

# updatedAt rises monotonically: an indexed timestamp caps the collection near 500 writes/s. It is not
# indexed; scanChangedSince narrows by updatedDay (its UTC date, automatically indexed) and filters the
# exact instant in memory.
resource "google_firestore_field" "orders_updated_at" {
  database   = google_firestore_database.main.name
  collection = local.orders_collection
  field      = "updatedAt"

  # Firestore runs one index operation per database at a time: apply them one after another.
  depends_on = [google_firestore_field.orders_state]

  index_config {}
}

# Aliases are only ever read by document id: neither field needs an index.
resource "google_firestore_field" "aliases_ref" {
  database   = google_firestore_database.main.name
  collection = local.aliases_collection
  field      = "ref"
  depends_on = [google_firestore_field.orders_updated_at]

  index_config {}
}

resource "google_firestore_field" "aliases_key" {
  database   = google_firestore_database.main.name
  collection = local.aliases_collection
  field      = "key"
  depends_on = [google_firestore_field.aliases_ref]

  index_config {}
}
